package dev.drawbridge.controller.api;

import io.helidon.http.Method;
import dev.drawbridge.oauth.ApiScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.enroll.CertificateRecord;
import dev.drawbridge.controller.enroll.EnrollmentRefused;
import dev.drawbridge.controller.enroll.EnrollmentService.Enrollment;
import dev.drawbridge.controller.enroll.EnrollmentService.TicketGrant;
import dev.drawbridge.controller.enroll.Revocations;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** Enrollment tickets, {@code /v1/enroll}, and certificate revocation. */
final class EnrollRoutes implements HttpService {
    private static final Duration MAX_TICKET_LIFETIME = Duration.ofDays(30);
    private final ApiContext ctx;
    private final Access access;

    EnrollRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).post("/v1/nodes/{id}/tickets", ApiScope.CA_SIGN, this::ticket)
                .get("/v1/nodes/{id}/certificates", ApiScope.NODES_READ, this::nodeCertificates)
                .post("/v1/nodes/{id}/certificates/revoke", ApiScope.CA_SIGN, this::revokeNode)
                .open(Method.POST, "/v1/enroll", "a one-time enrollment ticket authorises it", this::enroll)
                .get("/v1/certificates/{serial}", ApiScope.NODES_READ, this::certificate)
                .post("/v1/certificates/{serial}/revoke", ApiScope.CA_SIGN, this::revoke);
    }

    private void ticket(ServerRequest req, ServerResponse res) {
        Duration lifetime = optionalBody(req, Set.of("lifetime"))
                .flatMap(f -> f.optionalString("lifetime")).map(EnrollRoutes::lifetime)
                .orElse(ctx.enrollment().ticketLifetime());
        TicketGrant grant = guard(() -> ctx.enrollment().createTicket(req.path().pathParameters().get("id"), lifetime,
                "admin"));
        res.header("Cache-Control", "no-store"); // the secret is shown once: no cache may keep it
        Json.send(res, 201, Json.object().put("ticket", grant.ticket()).put("ticket_id", grant.ticketId())
                .put("node_id", grant.nodeId()).put("node_name", grant.nodeName())
                .put("expires_at", grant.expiresAt().toString()));
    }

    private void enroll(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of("ticket", "csr"));
        String ticket = f.string("ticket");
        String csr = f.string("csr");
        Enrollment e = guard(() -> ctx.enrollment().enroll(ticket, csr));
        ObjectNode body = Json.object().put("node_id", e.nodeId()).put("node_name", e.nodeName())
                .put("serial", e.certificate().serialHex()).put("certificate", e.certificate().pem())
                .put("not_after", e.certificate().notAfter().toString());
        e.chain().forEach(body.putArray("chain")::add);
        Json.send(res, 201, body);
    }

    private void nodeCertificates(ServerRequest req, ServerResponse res) {
        String id = req.path().pathParameters().get("id");
        List<CertificateRecord> certs = ctx.certificates().ofNode(id).orElseThrow(() -> NodeRoutes.missing(id));
        ObjectNode body = Json.object();
        body.putArray("items");
        certs.forEach(c -> body.withArray("items").add(Views.certificate(c)));
        Json.send(res, 200, body);
    }

    private void certificate(ServerRequest req, ServerResponse res) {
        String serial = req.path().pathParameters().get("serial");
        CertificateRecord rec = guard(() -> ctx.certificates().find(normalise(serial))).orElseThrow(() -> ApiException.notFound("no certificate with serial "
                + NodeInput.abbreviate(serial)));
        Json.send(res, 200, Views.certificate(rec));
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        int reason = reason(req);
        CertificateRecord rec = guard(() -> ctx.revocations().revoke(req.path().pathParameters().get("serial"),
                reason, "admin"));
        Json.send(res, 200, Views.certificate(rec));
    }

    private void revokeNode(ServerRequest req, ServerResponse res) {
        int reason = reason(req);
        List<String> serials = guard(() -> ctx.revocations().revokeNode(req.path().pathParameters().get("id"),
                reason, "admin"));
        ObjectNode body = Json.object();
        serials.forEach(body.putArray("revoked")::add);
        Json.send(res, 200, body);
    }

    private int reason(ServerRequest req) {
        return optionalBody(req, Set.of("reason")).flatMap(f -> f.optionalString("reason")).map(r -> switch (r) {
            case "unspecified" -> Revocations.UNSPECIFIED;
            case "key-compromise" -> Revocations.KEY_COMPROMISE;
            case "superseded" -> 4;
            case "cessation-of-operation" -> 5;
            default -> throw ApiException.badRequest("'reason' must be one of unspecified, key-compromise, superseded, "
                    + "cessation-of-operation");
        }).orElse(Revocations.UNSPECIFIED);
    }

    private Optional<Fields> optionalBody(ServerRequest req, Set<String> allowed) {
        if (!req.content().hasEntity() && req.headers().contentLength().orElse(0) == 0) {
            return Optional.empty();
        }
        JsonNode body = Json.body(req, ctx.config().api().maxBodyBytes());
        return Optional.of(Fields.of(body, allowed));
    }

    private static Duration lifetime(String text) {
        return Fields.duration("lifetime", text, MAX_TICKET_LIFETIME);
    }

    private static String normalise(String serial) {
        String s = serial.toLowerCase(Locale.ROOT).replace(":", "");
        if (s.isEmpty() || s.length() > 40 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw ApiException.badRequest("'" + NodeInput.abbreviate(serial) + "' is not a hex certificate serial");
        }
        return new BigInteger(s, 16).toString(16);
    }

    /** Maps enrollment refusals onto problem types: each refusal says which rule refused it. */
    static <T> T guard(Supplier<T> work) {
        try {
            return work.get();
        } catch (EnrollmentRefused e) {
            throw switch (e.reason()) {
                case TICKET_MALFORMED -> new ApiException(400, "ticket-malformed", "Malformed ticket", e.getMessage());
                case TICKET_INVALID -> new ApiException(401, "ticket-invalid", "Invalid ticket", e.getMessage());
                case TICKET_USED -> new ApiException(409, "ticket-used", "Ticket already used", e.getMessage());
                case TICKET_EXPIRED -> new ApiException(410, "ticket-expired", "Ticket expired", e.getMessage());
                case IDENTITY_MISMATCH -> new ApiException(403, "identity-mismatch",
                        "The CSR does not ask for the expected identity", e.getMessage());
                case BAD_CSR -> new ApiException(400, "bad-csr", "Bad CSR", e.getMessage());
                case NODE_NOT_FOUND, CERTIFICATE_NOT_FOUND -> ApiException.notFound(e.getMessage());
                case ALREADY_REVOKED -> new ApiException(409, "already-revoked", "Already revoked", e.getMessage());
                case NODE_FENCED -> new ApiException(409, "node-fenced", "Node is fenced: readmit first", e.getMessage());
                case RENEWAL_REFUSED -> new ApiException(403, "renewal-refused", "Renewal refused", e.getMessage());
            };
        }
    }
}
