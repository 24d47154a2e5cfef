package dev.drawbridge.pki;

import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.CertificatePolicies;

/** Issuance profiles: each sets key usages, extended key usages and a lifetime from config. */
public enum Profile {
    /** A node (agent) identity: TLS server and client auth. Default lifetime 24 h. */
    NODE("2.25.318497522958283612401867043957291573441.1"),
    /** A controller identity: TLS server and client auth. Agents accept only these as clients. */
    CONTROLLER("2.25.318497522958283612401867043957291573441.2"),
    /** A management console client certificate: TLS client auth. */
    CONSOLE_CLIENT("2.25.318497522958283612401867043957291573441.3");

    private final String policyOid;

    Profile(String policyOid) {
        this.policyOid = policyOid;
    }

    /**
     * The certificate policy OID (under a UUID arc, ITU-T X.667) each certificate of this profile carries,
     * so a peer can tell a controller's certificate from a node's although both are for TLS client auth.
     */
    public String policyOid() {
        return policyOid;
    }

    /** The profile whose policy OID a certificate carries, if any. */
    public static Optional<Profile> of(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue("2.5.29.32");
        if (ext == null) {
            return Optional.empty();
        }
        try {
            var policies = CertificatePolicies.getInstance(
                    ASN1OctetString.getInstance(ext).getOctets());
            for (Profile p : values()) {
                if (policies.getPolicyInformation(new ASN1ObjectIdentifier(p.policyOid)) != null) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
