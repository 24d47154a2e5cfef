package dev.drawbridge.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Map;
import java.util.function.Function;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.ResponderID;
import org.bouncycastle.asn1.ocsp.RevokedInfo;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An RFC 6960 OCSP responder in which the CA key signs responses itself (§4.2.2.2), named by key hash
 * (§4.2.1 ResponderID byKey). Bad requests get a malformedRequest response, never an exception.
 */
final class OcspResponder {
    private static final Logger LOG = LoggerFactory.getLogger(OcspResponder.class);
    static final int MAX_REQUEST = 64 * 1024;
    static final int MAX_CERT_IDS = 100;
    private static final Duration VALIDITY = Duration.ofHours(1);

    /** issuerNameHash and issuerKeyHash of the root per CertID hash algorithm (RFC 6960 §4.1.1). */
    private record IssuerHashes(byte[] name, byte[] key) {}

    private final Map<ASN1ObjectIdentifier, IssuerHashes> issuer;
    private final RespID responderId;
    private final CaSigner signer;
    private final Clock clock;

    OcspResponder(X509Certificate root, CaSigner signer, Clock clock) {
        SubjectPublicKeyInfo spki = KeyIds.info(root.getPublicKey());
        byte[] name = root.getSubjectX500Principal().getEncoded();
        this.issuer = Map.of(
                OIWObjectIdentifiers.idSHA1, new IssuerHashes(KeyIds.digest("SHA-1", name), KeyIds.hash("SHA-1", spki)),
                NISTObjectIdentifiers.id_sha256,
                new IssuerHashes(KeyIds.digest("SHA-256", name), KeyIds.hash("SHA-256", spki)));
        this.responderId = new RespID(new ResponderID(
                new DEROctetString(KeyIds.hash("SHA-1", spki))));
        this.signer = signer;
        this.clock = clock;
    }

    byte[] respond(byte[] requestDer, Function<BigInteger, CertStatus> lookup) {
        OCSPReq request;
        Req[] ids;
        try {
            request = parse(requestDer);
            ids = request.getRequestList();
            if (ids.length == 0 || ids.length > MAX_CERT_IDS || !nonceAcceptable(request)) {
                return status(OCSPRespBuilder.MALFORMED_REQUEST);
            }
        } catch (MalformedException | RuntimeException | StackOverflowError e) {
            return status(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        try {
            var builder = new BasicOCSPRespBuilder(responderId);
            echoNonce(request, builder);
            Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
            for (Req req : ids) {
                CertificateID id = req.getCertID();
                builder.addResponse(id, ours(id) ? encode(lookup.apply(id.getSerialNumber())) : new UnknownStatus(),
                        Date.from(now), Date.from(now.plus(VALIDITY)), null);
            }
            var basic = builder.build(signer.contentSigner(), null, Date.from(now));
            return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
        } catch (Exception e) {
            // The status lookup or signing failed: RFC 6960 §2.3 internalError, so the client tries elsewhere.
            LOG.warn("OCSP response failed: {}", e.toString());
            return status(OCSPRespBuilder.INTERNAL_ERROR);
        }
    }

    private static OCSPReq parse(byte[] der) throws MalformedException {
        if (der.length == 0 || der.length > MAX_REQUEST) {
            throw new MalformedException();
        }
        try {
            return new OCSPReq(der);
        } catch (IOException e) {
            throw new MalformedException();
        }
    }

    /** RFC 8954 §2.1: a nonce of 0 or more than 32 octets must be answered with malformedRequest. */
    private static boolean nonceAcceptable(OCSPReq request) {
        Extension nonce = request.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
        if (nonce == null) {
            return true;
        }
        byte[] value = nonce.getExtnValue().getOctets();
        int length;
        try {
            length = ASN1OctetString.getInstance(value).getOctets().length;
        } catch (RuntimeException e) {
            length = value.length; // some old clients put the raw nonce in extnValue
        }
        return length >= 1 && length <= 32;
    }

    /** RFC 8954 §2.1 and RFC 6960 §4.4.1: the response carries the request's nonce unchanged. */
    private static void echoNonce(OCSPReq request, BasicOCSPRespBuilder builder) {
        Extension nonce = request.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
        if (nonce != null) {
            builder.setResponseExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce,
                    false, nonce.getExtnValue())));
        }
    }

    private boolean ours(CertificateID id) {
        IssuerHashes expected = issuer.get(id.getHashAlgOID());
        return expected != null && MessageDigest.isEqual(expected.name(), id.getIssuerNameHash())
                && MessageDigest.isEqual(expected.key(), id.getIssuerKeyHash());
    }

    private static CertificateStatus encode(CertStatus status) {
        return switch (status) {
            case CertStatus.Good g -> CertificateStatus.GOOD;
            case CertStatus.Unknown u -> new UnknownStatus();
            case CertStatus.Revoked r -> new RevokedStatus(new RevokedInfo(
                    new ASN1GeneralizedTime(Date.from(r.revokedAt().truncatedTo(ChronoUnit.SECONDS))),
                    RevocationReasons.encoded(r.reasonCode()).orElse(null)));
        };
    }

    private static byte[] status(int code) {
        try {
            return new OCSPRespBuilder().build(code, null).getEncoded();
        } catch (Exception e) {
            throw new PkiException("cannot encode OCSP status " + code, e);
        }
    }

    private static final class MalformedException extends Exception {
        MalformedException() {
            super(null, null, false, false);
        }
    }
}
