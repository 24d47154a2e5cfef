package dev.drawbridge.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.pki.Pem;
import dev.drawbridge.protocol.Commands;
import dev.drawbridge.protocol.Wire;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Turns {@code {"name", "params"}} into a {@link Command}, or a 400 naming what is wrong. Pure, no side effects. */
final class CommandParser {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private CommandParser() {}

    static Command parse(String name, JsonNode params) {
        if (!params.isObject()) {
            throw bad("params must be a JSON object");
        }
        return switch (name) {
            case Commands.HARDWARE_GET_INFO -> new Command.HardwareGetInfo();
            case Commands.NODE_SET_INFO -> new Command.NodeSetInfo(toMap(params));
            case Commands.IDENTITY_PROVE_TICKET -> new Command.ProveTicket(nonce(text(params, "nonce")));
            case Commands.IDENTITY_CREATE_CSR -> new Command.CreateCsr(params.has("nonce")
                    ? Optional.of(nonce(text(params, "nonce"))) : Optional.empty());
            case Commands.IDENTITY_INSTALL_CERTIFICATE -> install(params);
            case Commands.CLEAN_ERASE_DEVICES -> erase(params);
            case Commands.DEPLOY_WRITE_IMAGE -> writeImage(params);
            case Commands.POWER_REBOOT -> new Command.Reboot();
            case Commands.SYSTEM_STATUS -> new Command.SystemStatus();
            case Commands.ATTESTATION_GET_AK -> new Command.GetAk();
            case Commands.ATTESTATION_ACTIVATE_CREDENTIAL -> new Command.ActivateCredential(base64(text(params,
                    "credential")));
            case Commands.ATTESTATION_QUOTE -> new Command.AttestQuote(nonce(text(params, "nonce")), pcrs(text(params, "pcrs")));
            default -> throw new ApiProblem(400, "unknown-command", "Unknown command",
                    "no command named \"" + abbreviate(name) + "\"");
        };
    }

    private static byte[] base64(String value) {
        try {
            byte[] b = Base64.getDecoder().decode(value);
            if (b.length == 0 || b.length > 4096) {
                throw bad("credential must be 1..4096 bytes");
            }
            return b;
        } catch (IllegalArgumentException e) {
            throw bad("credential is not base64");
        }
    }

    /** {@code sha256:0,1,2,3,7}: one bank, PCRs 0..23. */
    private static PcrSelection pcrs(String value) {
        if (!value.matches("sha256:\\d{1,2}(,\\d{1,2}){0,23}")) {
            throw bad("pcrs must look like sha256:0,1,2,3,7");
        }
        int[] list = Arrays.stream(value.substring(7).split(",")).mapToInt(Integer::parseInt).toArray();
        for (int pcr : list) {
            if (pcr > 23) {
                throw bad("PCR " + pcr + " does not exist (0..23)");
            }
        }
        return PcrSelection.of(HashAlg.SHA256, list);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toMap(JsonNode params) {
        try {
            return Map.copyOf(Wire.JSON.convertValue(params, Map.class));
        } catch (NullPointerException e) {
            throw bad("params must not hold null values at the top level");
        }
    }

    private static byte[] nonce(String value) {
        try {
            byte[] nonce = Base64.getUrlDecoder().decode(value);
            if (nonce.length < 16 || nonce.length > 1024) {
                throw bad("nonce must decode to 16..1024 bytes, not " + nonce.length);
            }
            return nonce;
        } catch (IllegalArgumentException e) {
            throw bad("nonce is not base64url");
        }
    }

    private static Command install(JsonNode params) {
        X509Certificate cert = certificate(text(params, "certificate"), "certificate");
        List<X509Certificate> chain = new ArrayList<>();
        JsonNode list = params.path("chain");
        if (!list.isMissingNode() && !list.isArray()) {
            throw bad("chain must be an array of PEM certificates");
        }
        for (JsonNode pem : list) {
            chain.add(certificate(pem.asText(""), "chain entry"));
        }
        return new Command.InstallCertificate(cert, chain);
    }

    private static X509Certificate certificate(String pem, String what) {
        try {
            return Pem.certificate(pem);
        } catch (RuntimeException e) {
            throw bad(what + " is not one PEM certificate: " + e.getMessage());
        }
    }

    private static Command erase(JsonNode params) {
        JsonNode list = params.path("devices");
        if (!list.isArray() || list.isEmpty()) {
            throw bad("devices must be a non-empty array of paths");
        }
        List<Path> devices = new ArrayList<>();
        for (JsonNode d : list) {
            devices.add(existing(d.asText(""), "device"));
        }
        return new Command.EraseDevices(devices);
    }

    private static Command writeImage(JsonNode params) {
        URI url;
        try {
            url = URI.create(text(params, "url"));
        } catch (IllegalArgumentException e) {
            throw bad("url is not a URI");
        }
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) || url.getHost() == null) {
            throw bad("url must be an http or https URL with a host");
        }
        String sha = text(params, "sha256");
        if (!SHA256.matcher(sha).matches()) {
            throw bad("sha256 must be 64 hex digits");
        }
        Path target = Path.of(text(params, "target"));
        if (!target.isAbsolute() || target.getParent() == null || !Files.isDirectory(target.getParent())) {
            throw bad("target must be an absolute path in an existing directory");
        }
        return new Command.WriteImage(url, sha.toLowerCase(Locale.ROOT), target);
    }

    private static Path existing(String value, String what) {
        if (value.isEmpty()) {
            throw bad(what + " must be a non-empty path");
        }
        Path p = Path.of(value);
        if (!p.isAbsolute() || !Files.exists(p)) {
            throw bad(what + " " + abbreviate(value) + " does not exist (absolute paths only)");
        }
        return p;
    }

    private static String text(JsonNode params, String field) {
        JsonNode v = params.path(field);
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw bad("params." + field + " is required and must be a non-empty string");
        }
        return v.asText();
    }

    static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    private static ApiProblem bad(String detail) {
        return new ApiProblem(400, "bad-params", "Bad command parameters", detail);
    }
}
