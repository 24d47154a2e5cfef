package dev.drawbridge.agent;

import dev.drawbridge.pki.Profile;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * Only controllers may call, from the first connection on, enrolled or not: the client must have presented a
 * certificate chaining to the payload root with the CONTROLLER profile. The handshake checked the chain already;
 * it is checked again on every request because PKIX validation also checks the validity period, so a kept-alive
 * connection never outlives the controller certificate it was opened with. A node certificate from the same CA is
 * refused: nodes never command each other. Before enrollment the controller cannot verify the agent, but the agent
 * can always verify the controller: the payload names the one root it trusts.
 */
final class ClientCerts {
    private final TlsIdentity tls;

    ClientCerts(TlsIdentity tls) {
        this.tls = tls;
    }

    /** Why a client presenting {@code presented} may not call; empty when it may. */
    Optional<String> refusal(List<Certificate> presented) {
        if (presented.isEmpty()) {
            return Optional.of("present a controller client certificate issued by the CA named in this agent's "
                    + "bootstrap payload");
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
