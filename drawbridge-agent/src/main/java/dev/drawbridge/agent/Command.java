package dev.drawbridge.agent;

import dev.drawbridge.attestation.PcrSelection;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One parsed agent command: each name in {@code Commands} with its params already checked. */
sealed interface Command {
    record HardwareGetInfo() implements Command {}

    record NodeSetInfo(Map<String, Object> info) implements Command {
        public NodeSetInfo {
            info = Map.copyOf(info);
        }
    }

    record ProveTicket(byte[] nonce) implements Command {}

    /** A new key and its CSR; with a nonce (a renewal), also a signature by the key served now (RenewalProof). */
    record CreateCsr(Optional<byte[]> nonce) implements Command {}

    record InstallCertificate(X509Certificate certificate, List<X509Certificate> chain) implements Command {
        public InstallCertificate {
            chain = List.copyOf(chain);
        }
    }

    record EraseDevices(List<Path> devices) implements Command {
        public EraseDevices {
            devices = List.copyOf(devices);
        }
    }

    record WriteImage(URI url, String sha256, Path target) implements Command {}

    record Reboot() implements Command {}

    record SystemStatus() implements Command {}

    record GetAk() implements Command {}

    record ActivateCredential(byte[] credential) implements Command {}

    record AttestQuote(byte[] nonce, PcrSelection selection) implements Command {}
}
