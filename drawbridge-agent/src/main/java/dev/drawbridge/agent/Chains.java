package dev.drawbridge.agent;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** PKIX path validation (RFC 5280 §6) against the one root from the bootstrap payload. */
final class Chains {
    private Chains() {}

    /** Why {@code chain} (leaf first) does not lead to {@code root}, or empty if it does. */
    static Optional<String> problem(List<X509Certificate> chain, X509Certificate root) {
        if (chain.isEmpty()) {
            return Optional.of("no certificate");
        }
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate c : chain) {
            if (!c.equals(root)) { // the anchor is not part of the path
                path.add(c);
            }
        }
        if (path.isEmpty()) {
            return Optional.of("the root itself is not an end-entity certificate");
        }
        try {
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
            // The agent never reaches the controller's CRL or OCSP (poll, don't listen); short lifetimes
            // and the conductor's own revocation checks stand in.
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            return Optional.of(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }
}
