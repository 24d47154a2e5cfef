package dev.drawbridge.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.cert.X509v2CRLBuilder;

/** Signs X.509 v2 CRLs (RFC 5280 §5) for the root. */
final class CrlBuilder {
    private final X500Name issuer;
    private final AuthorityKeyIdentifier authorityKeyId;
    private final CaSigner signer;

    CrlBuilder(X509Certificate root, CaSigner signer) {
        this.issuer = X500Name.getInstance(root.getSubjectX500Principal().getEncoded());
        this.authorityKeyId = KeyIds.authority(KeyIds.info(root.getPublicKey()));
        this.signer = signer;
    }

    byte[] build(List<RevokedSerial> revoked, long crlNumber, Instant thisUpdate, Duration validity) {
        if (crlNumber < 0) {
            throw new PkiException("CRL number must not be negative (RFC 5280 §5.2.3), got " + crlNumber);
        }
        if (validity.isNegative() || validity.isZero()) {
            throw new PkiException("CRL validity must be positive, got " + validity);
        }
        var builder = new X509v2CRLBuilder(issuer, Date.from(thisUpdate));
        // RFC 5280 §5.1.2.5: conforming CAs MUST include nextUpdate.
        builder.setNextUpdate(Date.from(thisUpdate.plus(validity)));
        try {
            for (RevokedSerial entry : revoked) {
                var reason = RevocationReasons.encoded(entry.reasonCode());
                if (reason.isPresent()) {
                    ExtensionsGenerator entryExtensions = new ExtensionsGenerator();
                    entryExtensions.addExtension(Extension.reasonCode, false, reason.get());
                    builder.addCRLEntry(entry.serial(), Date.from(entry.revokedAt()), entryExtensions.generate());
                } else {
                    // An entry with no extensions at all: BouncyCastle refuses an empty extensions block.
                    builder.addCRLEntry(entry.serial(), Date.from(entry.revokedAt()), 0);
                }
            }
            // RFC 5280 §5.2.1 and §5.2.3: both MUST be present in a conforming CRL; neither is critical.
            builder.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyId);
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(crlNumber)));
            return builder.build(signer.contentSigner()).getEncoded();
        } catch (IOException e) {
            throw new PkiException("cannot encode CRL " + crlNumber, e);
        }
    }
}
