package dev.drawbridge.oauth;

import com.nimbusds.jose.util.X509CertUtils;
import java.security.cert.X509Certificate;

/** Certificate thumbprints as RFC 8705 binds tokens to them. */
public final class Thumbprints {
    private Thumbprints() {}

    /** The SHA-256 thumbprint of the certificate's DER, base64url without padding ({@code x5t#S256}). */
    public static String of(X509Certificate cert) {
        return X509CertUtils.computeSHA256Thumbprint(cert).toString();
    }
}
