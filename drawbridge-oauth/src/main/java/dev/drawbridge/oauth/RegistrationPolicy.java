package dev.drawbridge.oauth;

import com.nimbusds.jwt.JWTClaimsSet;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.time.Clock;

/** Decides whether a new client is trusted. The controller's trust policy implements it over five factors. */
@FunctionalInterface
public interface RegistrationPolicy {
    /**
     * What is known about a registration when it is judged.
     *
     * @param source      the address the request came from
     * @param certificate the TLS client certificate chain, leaf first (empty list when none was presented)
     * @param statement   the software statement's claims, when one was sent and its signature verified, with the
     *                    vendor whose key verified it
     * @param name        the client's name
     * @param scopes      the scopes it asks for
     */
    record Facts(InetAddress source, List<X509Certificate> certificate, Optional<Statement> statement, String name,
                 Set<ApiScope> scopes) {
        public Facts {
            certificate = List.copyOf(certificate);
            scopes = Set.copyOf(scopes);
        }
    }

    /** A verified software statement: the vendor (the configured key's name) and its claims. */
    record Statement(String vendor, JWTClaimsSet claims) {}

    TrustDecision judge(Facts facts);

    /**
     * The rule the server applies over any policy: the {@code admin} scope is only granted by an operator's
     * approval, so a client asking for it waits, however trusted.
     */
    static TrustDecision withServerRules(TrustDecision d, Set<ApiScope> scopes) {
        if (!scopes.contains(ApiScope.ADMIN)) {
            return d;
        }
        return d.with(new TrustDecision.Factor("operator", "needs approval",
                "the admin scope is only granted by an operator's approval"), TrustDecision.Answer.NEEDS_APPROVAL);
    }

    /** Whose signature on a software statement counts, as the policy stands now. */
    default VendorKeys vendors() {
        return VendorKeys.none(Clock.systemUTC());
    }
}
