package dev.drawbridge.agent;

import dev.drawbridge.protocol.CsrResult;
import dev.drawbridge.protocol.ProveResult;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.pki.Profile;
import dev.drawbridge.protocol.BootstrapPayload;
import dev.drawbridge.protocol.Commands;
import dev.drawbridge.protocol.RenewalProof;
import dev.drawbridge.protocol.TicketProof;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The identity commands: prove the ticket, make a CSR over a fresh key, install the CA-issued certificate. */
final class Enrollment {
    private static final Logger LOG = LoggerFactory.getLogger(Enrollment.class);
    private final BootstrapPayload payload;
    private final TlsIdentity tls;
    private final IdentityStore store;
    private final AtomicReference<Optional<KeyPair>> pending = new AtomicReference<>(Optional.empty());

    Enrollment(BootstrapPayload payload, TlsIdentity tls, IdentityStore store) {
        this.payload = payload;
        this.tls = tls;
        this.store = store;
    }

    /** Binds the ticket to the key being served right now; see {@link TicketProof}. */
    Outcome prove(byte[] nonce) {
        byte[] proof = TicketProof.proof(TicketProof.pinKey(payload.ticket()), nonce,
                TicketProof.fingerprint(tls.current().leaf()));
        return Outcome.of(new ProveResult(payload.ticketId(),
                Base64.getUrlEncoder().withoutPadding().encodeToString(proof)));
    }

    /**
     * A key kept in memory only until its certificate is installed: a new one unless a key is already pending, so a
     * conductor that asks again (after a restart, or an answer lost on the way) gets a CSR for the same key, and the
     * CA can hand back the certificate it already issued instead of issuing a second. With a renewal nonce, an
     * enrolled agent also signs the nonce and the CSR with the key it serves now ({@link RenewalProof}), so the
     * conductor knows the request comes from the holder of the current identity, not only over its connection.
     */
    Outcome createCsr() {
        return Outcome.of(new CsrResult(pendingCsr(), Optional.empty(), Optional.empty()));
    }

    /** {@link #createCsr()} for a renewal over {@code nonce}: an enrolled agent also proves it holds its current key. */
    Outcome createCsr(byte[] nonce) {
        String csr = pendingCsr();
        TlsIdentity.Current now = tls.current();
        if (!now.enrolled()) {
            return Outcome.of(new CsrResult(csr, Optional.empty(), Optional.empty()));
        }
        byte[] signature = RenewalProof.sign(now.key(), RenewalProof.message(nonce, Pem.der(csr, "CERTIFICATE REQUEST")));
        return Outcome.of(new CsrResult(csr, Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(signature)),
                Optional.of(now.leaf().getSerialNumber().toString(16))));
    }

    private String pendingCsr() {
        KeyPair keys = pending.updateAndGet(p -> p.isPresent() ? p : Optional.of(Keys.generate())).orElseThrow();
        return Keys.csr(keys, payload.nodeName());
    }

    Outcome install(Command.InstallCertificate cmd) {
        X509Certificate cert = cmd.certificate();
        if (pending.get().isEmpty() && tls.current().enrolled() && tls.current().leaf().equals(cert)) {
            // Installed already: the answer to an earlier install was lost and the conductor sent it again.
            return Outcome.of(Map.of("installed", true, "serial", cert.getSerialNumber().toString(16),
                    "not_after", cert.getNotAfter().toInstant().toString(),
                    "tls_fingerprint", TicketProof.fingerprintHex(cert)));
        }
        KeyPair keys = pending.get().orElseThrow(() -> new CommandFailed(
                "no pending key: run " + Commands.IDENTITY_CREATE_CSR + " first"));
        if (!cert.getPublicKey().equals(keys.getPublic())) {
            throw new CommandFailed("the certificate's public key is not the key of the last CSR");
        }
        List<X509Certificate> chain = new ArrayList<>(List.of(cert));
        chain.addAll(cmd.chain());
        Chains.problem(chain, tls.root()).ifPresent(p -> {
            throw new CommandFailed("the certificate does not chain to the payload root: " + p);
        });
        if (Profile.of(cert).filter(Profile.NODE::equals).isEmpty()) {
            throw new CommandFailed("the certificate is not a node certificate (profile "
                    + Profile.of(cert).map(Enum::name).orElse("none") + ")");
        }
        if (!chain.contains(tls.root())) {
            chain.add(tls.root());
        }
        TlsIdentity.Current enrolled = new TlsIdentity.Current(keys.getPrivate(), chain, true);
        store.save(enrolled);
        pending.set(Optional.empty());
        LOG.info("installed node certificate serial {} for {}; mTLS with controller certificates from now on",
                cert.getSerialNumber().toString(16), cert.getSubjectX500Principal().getName());
        return new Outcome(Map.of("installed", true, "serial", cert.getSerialNumber().toString(16),
                "not_after", cert.getNotAfter().toInstant().toString(),
                "tls_fingerprint", TicketProof.fingerprintHex(cert)),
                () -> tls.switchTo(enrolled));
    }
}
