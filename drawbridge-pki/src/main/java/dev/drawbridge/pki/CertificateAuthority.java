package dev.drawbridge.pki;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drawbridge's private CA: one root key, kept in a {@link CaKeyStore}, that signs end-entity certificates,
 * CRLs and OCSP responses. All methods are thread-safe and none holds a lock while signing.
 */
public final class CertificateAuthority {
    private final CaSigner signer;
    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthority.class);

    private final X509Certificate root;
    private final String rootPem;
    private final CertificateIssuer issuer;
    private final CrlBuilder crls;
    private final OcspResponder ocsp;

    private CertificateAuthority(CaKeyStore.Entry entry, CaKeyStore store, CaSettings settings, Clock clock) {
        this.root = entry.certificate();
        this.rootPem = Pem.certificate(root);
        CaSigner signer = store.signingProvider()
                .map(p -> new CaSigner(entry.privateKey(), root.getPublicKey(), p))
                .orElseGet(() -> new CaSigner(entry.privateKey(), root.getPublicKey()));
        this.signer = signer;
        this.issuer = new CertificateIssuer(root, signer, settings, clock);
        this.crls = new CrlBuilder(root, signer);
        this.ocsp = new OcspResponder(root, signer, clock);
    }

    /** Loads the CA from {@code store}, or creates its key and root there at first start. */
    public static CertificateAuthority open(CaKeyStore store, CaSettings settings) {
        return open(store, settings, Clock.systemUTC());
    }

    /** As {@link #open(CaKeyStore, CaSettings)}, with a clock for validity periods (tests use a fake one). */
    public static CertificateAuthority open(CaKeyStore store, CaSettings settings, Clock clock) {
        CaKeyStore.Entry entry = store.load().orElseGet(() -> {
            LOG.info("creating CA root '{}' ({}) in {} key store", settings.rootCommonName(), settings.algorithm(),
                    store.kind());
            return store.create(settings.algorithm(), RootCertificates.factory(settings, clock));
        });
        return new CertificateAuthority(entry, store, settings, clock);
    }

    /** Signs {@code json} as a compact JWS with the CA key (ES256, ES384 or RS256 by key type); see {@link Jws}. */
    public String signJws(String json) {
        return Jws.sign(signer, root, json);
    }

    public X509Certificate root() {
        return root;
    }

    public String rootPem() {
        return rootPem;
    }

    /** Parses and checks a PEM PKCS#10 request; bad input only ever throws {@link CsrRejected}. */
    public CsrRequest parseCsr(String pem) {
        return CsrParser.parse(pem);
    }

    /** Parses and checks a DER PKCS#10 request; bad input only ever throws {@link CsrRejected}. */
    public CsrRequest parseCsr(byte[] der) {
        return CsrParser.parse(der);
    }

    /** Signs a certificate for {@code request} under its profile. */
    public IssuedCertificate issue(IssueRequest request) {
        return issuer.issue(request);
    }

    /** A signed DER X.509 v2 CRL (RFC 5280 §5); {@code crlNumber} must grow with every CRL issued. */
    public byte[] crl(List<RevokedSerial> revoked, long crlNumber, Instant thisUpdate, Duration validity) {
        return crls.build(revoked, crlNumber, thisUpdate, validity);
    }

    /**
     * Answers a DER OCSP request (RFC 6960) with a DER OCSPResponse. Bad requests get a malformedRequest
     * response rather than an exception; {@code lookup} is asked only about serials this CA issued.
     */
    public byte[] ocsp(byte[] requestDer, Function<BigInteger, CertStatus> lookup) {
        return ocsp.respond(requestDer, lookup);
    }

    /** The DER request inside an OCSP GET path segment (RFC 6960 appendix A.1); throws {@link BadOcspRequest}. */
    public static byte[] ocspRequestFromGetPath(String base64UrlEncodedPathSegment) {
        return OcspGetPath.decode(base64UrlEncodedPathSegment);
    }
}
