package dev.drawbridge.agent;

import dev.drawbridge.pki.Profile;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * Once enrolled, only controllers may call: the client must have presented a certificate chaining to the
 * payload root (the handshake already checked that; it is checked again here because a connection or a
 * resumed session from before enrollment carries no such check) with the CONTROLLER profile. A node
 * certificate from the same CA is refused: nodes never command each other.
 */
final class ClientCerts {
    private final TlsIdentity tls;

    ClientCerts(TlsIdentity tls) {
        this.tls = tls;
    }

    /** Why a client presenting {@code presented} may not call; empty when it may (or the agent is not enrolled yet). */
    Optional<String> refusal(List<Certificate> presented) {
        if (!tls.current().enrolled()) {
            return Optional.empty();
        }
        if (presented.isEmpty()) {
            return Optional.of("this agent is enrolled: present a controller client certificate from its CA");
        }
        List<X509Certificate> chain = presented.stream().filter(X509Certificate.class::isInstance)
                .map(X509Certificate.class::cast).toList();
        Optional<String> chainProblem = Chains.problem(chain, tls.root());
        if (chainProblem.isPresent()) {
            return Optional.of("the client certificate does not chain to this agent's root: " + chainProblem.get());
        }
        Optional<Profile> profile = Profile.of(chain.getFirst());
        if (profile.filter(Profile.CONTROLLER::equals).isEmpty()) {
            return Optional.of("the client certificate is not a controller certificate (profile "
                    + profile.map(Enum::name).orElse("none") + ")");
        }
        return Optional.empty();
    }
}
