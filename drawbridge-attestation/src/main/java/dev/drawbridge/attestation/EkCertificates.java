package dev.drawbridge.attestation;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks an EK certificate (TCG EK Credential Profile for TPM 2.0): that it chains to a trusted
 * TPM manufacturer root through the given intermediates, is within its validity period, is an EK
 * certificate, and certifies the EK public key the TPM reports.
 *
 * <p>The chain is checked with the JDK's PKIX CertPathValidator, revocation off. EK certificates
 * usually have an empty subject and a critical subjectAltName holding a directoryName with the TPM
 * manufacturer, model and version; the JDK's PKIX validator handles a critical SAN itself (its
 * KeyChecker lists subjectAltName as supported), so no extra checker is needed for swtpm's
 * certificates. Any other unknown critical extension fails the chain.
 */
public final class EkCertificates {
    /** tcg-kp-EKCertificate, the EK certificate extended key usage. */
    public static final String TCG_KP_EK_CERTIFICATE = "2.23.133.8.1";
    /** tcg-at-tpmManufacturer, tcg-at-tpmModel, tcg-at-tpmVersion (in the SAN directoryName). */
    public static final String TCG_AT_TPM_MANUFACTURER = "2.23.133.2.1";
    public static final String TCG_AT_TPM_MODEL = "2.23.133.2.2";
    public static final String TCG_AT_TPM_VERSION = "2.23.133.2.3";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final String SUBJECT_ALT_NAME = "2.5.29.17";

    private EkCertificates() {}

    /** Why an EK certificate was not accepted. */
    public enum Failure {
        /** No path from the certificate through the intermediates to a root, or a signature on it fails. */
        CHAIN_DOES_NOT_BUILD,
        /** The certificate or a CA on its path has expired at the time of the check. */
        EXPIRED,
        /** The certificate or a CA on its path is not valid yet at the time of the check. */
        NOT_YET_VALID,
        /** The certificate chains but is not an EK certificate (a CA, or neither the EK EKU nor a TPM SAN). */
        NOT_AN_EK_CERTIFICATE,
        /** The certified key is not the EK public key the TPM reports. */
        KEY_MISMATCH
    }

    /** The outcome: {@link Valid} with the path that was checked, or {@link Invalid} with the failure. */
    public sealed interface Result {
        default boolean valid() {
            return this instanceof Valid;
        }

        /** The failure, empty when valid. */
        default Optional<Failure> reason() {
            return this instanceof Invalid i ? Optional.of(i.failure()) : Optional.empty();
        }
    }

    /** Accepted; {@code path} runs from the EK certificate up to (not including) the trusted root. */
    public record Valid(List<X509Certificate> path, X509Certificate root, Optional<TpmIdentity> tpm) implements Result {
        public Valid {
            path = List.copyOf(path);
        }
    }

    /** Refused, with a detail for people. */
    public record Invalid(Failure failure, String detail) implements Result {}

    /** The TPM named in an EK certificate's subjectAltName directoryName (values as encoded, e.g. "id:00001014"). */
    public record TpmIdentity(Optional<String> manufacturer, Optional<String> model, Optional<String> version) {}

    /** Checks the chain, validity (now) and EK-ness, without comparing the key. */
    public static Result verify(X509Certificate ek, List<X509Certificate> intermediates, List<X509Certificate> roots) {
        return chain(ek, intermediates, roots, Instant.now());
    }

    /** Checks the chain, validity (now), EK-ness, and that the certificate certifies {@code tpmEkPublic}. */
    public static Result verify(X509Certificate ek, List<X509Certificate> intermediates, List<X509Certificate> roots,
                                PublicKey tpmEkPublic) {
        return verify(ek, intermediates, roots, tpmEkPublic, Instant.now());
    }

    /**
     * Checks, in order: the chain (a path to one of {@code roots} whose signatures verify), validity of
     * every certificate on it at {@code at}, that the certificate is an EK certificate, and that its key is
     * {@code tpmEkPublic}.
     */
    public static Result verify(X509Certificate ek, List<X509Certificate> intermediates, List<X509Certificate> roots,
                                PublicKey tpmEkPublic, Instant at) {
        Result r = chain(ek, intermediates, roots, at);
        if (r instanceof Valid && !sameKey(ek.getPublicKey(), tpmEkPublic)) {
            return new Invalid(Failure.KEY_MISMATCH, "the certificate's " + ek.getPublicKey().getAlgorithm()
                    + " key is not the TPM's " + tpmEkPublic.getAlgorithm() + " EK");
        }
        return r;
    }

    /** The chain, validity at {@code at} and EK-ness, as {@link #verify} checks them, without comparing the key. */
    private static Result chain(X509Certificate ek, List<X509Certificate> intermediates, List<X509Certificate> roots,
                                Instant at) {
        List<List<X509Certificate>> candidates = new ArrayList<>();
        link(ek, intermediates, roots, new ArrayList<>(List.of(ek)), candidates);
        if (candidates.isEmpty()) {
            return new Invalid(Failure.CHAIN_DOES_NOT_BUILD, "no issuer whose key verifies the signature of "
                    + describe(ek) + " leads to a trusted root (issuer " + ek.getIssuerX500Principal() + ")");
        }
        Invalid firstFailure = null;
        for (List<X509Certificate> chain : candidates) {
            X509Certificate root = chain.get(chain.size() - 1);
            List<X509Certificate> path = chain.subList(0, chain.size() - 1);
            Invalid failure = validate(path, root, at);
            if (failure == null) {
                Optional<Invalid> notEk = checkEk(ek);
                return notEk.isPresent() ? notEk.get() : new Valid(path, root, tpmIdentity(ek));
            }
            if (firstFailure == null) {
                firstFailure = failure;
            }
        }
        return firstFailure;
    }

    /** The TPM manufacturer (tcg-at-tpmManufacturer, e.g. "id:00001014") from the SAN, if present. */
    public static Optional<String> manufacturer(X509Certificate ek) {
        return tpmIdentity(ek).flatMap(TpmIdentity::manufacturer);
    }

    /** The TPM manufacturer, model and version from the SAN directoryName, if it has any of them. */
    public static Optional<TpmIdentity> tpmIdentity(X509Certificate ek) {
        byte[] ext = ek.getExtensionValue(SUBJECT_ALT_NAME);
        if (ext == null) {
            return Optional.empty();
        }
        try {
            return parseSan(ext);
        } catch (RuntimeException malformed) {
            return Optional.empty();
        }
    }

    /** Depth-first: each step takes a certificate named as the issuer whose key verifies the signature. */
    private static void link(X509Certificate cert, List<X509Certificate> intermediates, List<X509Certificate> roots,
                             List<X509Certificate> chain, List<List<X509Certificate>> out) {
        if (chain.size() > 10 || out.size() >= 8) {
            return;
        }
        for (X509Certificate root : roots) {
            if (issued(root, cert)) {
                List<X509Certificate> done = new ArrayList<>(chain);
                done.add(root);
                out.add(done);
            }
        }
        for (X509Certificate ca : intermediates) {
            if (!chain.contains(ca) && issued(ca, cert)) {
                chain.add(ca);
                link(ca, intermediates, roots, chain, out);
                chain.remove(chain.size() - 1);
            }
        }
    }

    private static boolean issued(X509Certificate issuer, X509Certificate cert) {
        if (!issuer.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
            return false;
        }
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** PKIX validation of {@code path} (target first) against {@code root}; null when valid. */
    private static Invalid validate(List<X509Certificate> path, X509Certificate root, Instant at) {
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
            params.setRevocationEnabled(false);
            params.setDate(Date.from(at));
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
            return checkAnchorDates(root, at);
        } catch (CertPathValidatorException e) {
            String where = e.getIndex() >= 0 && e.getIndex() < path.size() ? describe(path.get(e.getIndex()))
                    : "the path";
            if (e.getReason() == BasicReason.EXPIRED) {
                return new Invalid(Failure.EXPIRED, where + " has expired: " + e.getMessage());
            }
            if (e.getReason() == BasicReason.NOT_YET_VALID) {
                return new Invalid(Failure.NOT_YET_VALID, where + " is not valid yet: " + e.getMessage());
            }
            return new Invalid(Failure.CHAIN_DOES_NOT_BUILD, where + ": " + e.getReason() + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            return new Invalid(Failure.CHAIN_DOES_NOT_BUILD, e.getMessage());
        }
    }

    /** PKIX does not check a trust anchor's own dates; an expired root is refused here. */
    private static Invalid checkAnchorDates(X509Certificate root, Instant at) {
        if (at.isAfter(root.getNotAfter().toInstant())) {
            return new Invalid(Failure.EXPIRED, "root " + describe(root) + " expired " + root.getNotAfter().toInstant());
        }
        if (at.isBefore(root.getNotBefore().toInstant())) {
            return new Invalid(Failure.NOT_YET_VALID, "root " + describe(root) + " valid from "
                    + root.getNotBefore().toInstant());
        }
        return null;
    }

    private static Optional<Invalid> checkEk(X509Certificate ek) {
        if (ek.getBasicConstraints() >= 0) {
            return Optional.of(new Invalid(Failure.NOT_AN_EK_CERTIFICATE, describe(ek) + " is a CA certificate"));
        }
        List<String> eku;
        try {
            eku = ek.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return Optional.of(new Invalid(Failure.NOT_AN_EK_CERTIFICATE, "extendedKeyUsage: " + e.getMessage()));
        }
        boolean ekEku = eku != null && eku.contains(TCG_KP_EK_CERTIFICATE);
        if (eku != null && !ekEku && !eku.contains(ANY_EXTENDED_KEY_USAGE)) {
            return Optional.of(new Invalid(Failure.NOT_AN_EK_CERTIFICATE,
                    "extendedKeyUsage " + eku + " lacks tcg-kp-EKCertificate " + TCG_KP_EK_CERTIFICATE));
        }
        boolean tpmSan = manufacturer(ek).isPresent();
        if (!ekEku && !tpmSan) {
            return Optional.of(new Invalid(Failure.NOT_AN_EK_CERTIFICATE,
                    "neither the tcg-kp-EKCertificate EKU nor a subjectAltName naming a TPM manufacturer"));
        }
        return Optional.empty();
    }

    static boolean sameKey(PublicKey a, PublicKey b) {
        if (a instanceof RSAPublicKey ra && b instanceof RSAPublicKey rb) {
            return ra.getModulus().equals(rb.getModulus()) && ra.getPublicExponent().equals(rb.getPublicExponent());
        }
        if (a instanceof ECPublicKey ea && b instanceof ECPublicKey eb) {
            return ea.getW().equals(eb.getW()) && ea.getParams().getCurve().equals(eb.getParams().getCurve())
                    && ea.getParams().getOrder().equals(eb.getParams().getOrder());
        }
        return Arrays.equals(a.getEncoded(), b.getEncoded());
    }

    private static String describe(X509Certificate c) {
        String subject = c.getSubjectX500Principal().getName();
        return "certificate " + (subject.isEmpty() ? "(empty subject)" : subject) + " serial "
                + c.getSerialNumber().toString(16);
    }

    // --- a minimal DER walker for subjectAltName (GeneralNames) ---

    private static Optional<TpmIdentity> parseSan(byte[] extensionValue) {
        Der outer = new Der(extensionValue);
        byte[] generalNames = outer.expectNext(0x04).contents(); // the extension's OCTET STRING
        Der names = new Der(generalNames).expectNext(0x30).inside();
        String manufacturer = null;
        String model = null;
        String version = null;
        while (names.more()) {
            Der.Tlv name = names.next();
            if (name.tag() != 0xA4) { // directoryName [4] EXPLICIT Name
                continue;
            }
            Der rdns = new Der(name.contents()).expectNext(0x30).inside();
            while (rdns.more()) {
                Der avas = rdns.expectNext(0x31).inside();
                while (avas.more()) {
                    Der ava = avas.expectNext(0x30).inside();
                    String oid = oid(ava.expectNext(0x06).contents());
                    Der.Tlv value = ava.next();
                    String text = string(value);
                    switch (oid) {
                        case TCG_AT_TPM_MANUFACTURER -> manufacturer = text;
                        case TCG_AT_TPM_MODEL -> model = text;
                        case TCG_AT_TPM_VERSION -> version = text;
                        default -> { }
                    }
                }
            }
        }
        if (manufacturer == null && model == null && version == null) {
            return Optional.empty();
        }
        return Optional.of(new TpmIdentity(Optional.ofNullable(manufacturer), Optional.ofNullable(model),
                Optional.ofNullable(version)));
    }

    private static String string(Der.Tlv value) {
        return switch (value.tag()) {
            case 0x0C -> new String(value.contents(), StandardCharsets.UTF_8);
            case 0x13, 0x16, 0x14 -> new String(value.contents(), StandardCharsets.ISO_8859_1);
            default -> throw new IllegalArgumentException("unexpected string tag " + value.tag());
        };
    }

    private static String oid(byte[] der) {
        if (der.length == 0) {
            throw new IllegalArgumentException("empty OID");
        }
        StringBuilder sb = new StringBuilder();
        long value = 0;
        boolean first = true;
        for (byte b : der) {
            value = (value << 7) | (b & 0x7F);
            if (value > (1L << 56)) {
                throw new IllegalArgumentException("OID arc too large");
            }
            if ((b & 0x80) == 0) {
                if (first) {
                    long top = Math.min(value / 40, 2);
                    sb.append(top).append('.').append(value - 40 * top);
                    first = false;
                } else {
                    sb.append('.').append(value);
                }
                value = 0;
            }
        }
        return sb.toString();
    }

    /** A cursor over a sequence of DER TLVs (definite lengths only). */
    private static final class Der {
        record Tlv(int tag, byte[] contents) {
            Der inside() {
                return new Der(contents);
            }
        }

        private final byte[] data;
        private int pos;

        Der(byte[] data) {
            this.data = data;
        }

        boolean more() {
            return pos < data.length;
        }

        Tlv next() {
            int tag = u8();
            if ((tag & 0x1F) == 0x1F) {
                throw new IllegalArgumentException("multi-byte tags not supported");
            }
            int len = u8();
            if (len >= 0x80) {
                int n = len & 0x7F;
                if (n == 0 || n > 3) {
                    throw new IllegalArgumentException("bad DER length");
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | u8();
                }
            }
            if (len > data.length - pos) {
                throw new IllegalArgumentException("DER length past the end");
            }
            byte[] contents = Arrays.copyOfRange(data, pos, pos + len);
            pos += len;
            return new Tlv(tag, contents);
        }

        Tlv expectNext(int tag) {
            Tlv t = next();
            if (t.tag() != tag) {
                throw new IllegalArgumentException("DER tag " + t.tag() + ", expected " + tag);
            }
            return t;
        }

        private int u8() {
            if (pos >= data.length) {
                throw new IllegalArgumentException("DER truncated");
            }
            return data[pos++] & 0xFF;
        }
    }
}
