package dev.drawbridge.controller.api;

import dev.drawbridge.oauth.ApiScope;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.fence.Fence;
import dev.drawbridge.controller.fence.Trigger;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.verify.AttestationRecord;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Fencing, readmission, baselines and golden values, and attestation history. */
final class FenceRoutes implements HttpService {
    private final ApiContext ctx;
    private final Access access;

    FenceRoutes(ApiContext ctx, Access access) {
        this.ctx = ctx;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        access.on(rules).post("/v1/nodes/{id}/fence", ApiScope.FENCE, this::fence)
                .get("/v1/nodes/{id}/fences", ApiScope.NODES_READ, this::fences)
                .post("/v1/nodes/{id}/readmit", ApiScope.FENCE, this::readmit)
                .post("/v1/nodes/{id}/baseline", ApiScope.FENCE, this::acceptBaseline)
                .put("/v1/groups/{group}/golden", ApiScope.FENCE, this::setGolden)
                .get("/v1/groups/{group}/golden", ApiScope.NODES_READ, this::golden)
                .get("/v1/nodes/{id}/attestations", ApiScope.NODES_READ, this::attestations);
    }

    private Node node(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        return ctx.inventory().find(id).orElseThrow(() -> NodeRoutes.missing(id));
    }

    private void fence(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of("reason"));
        String reason = f.text("reason", REASON_MAX);
        Fence fence = ctx.fences().fence(node(req).id(), Trigger.OPERATOR, reason, "admin");
        Json.send(res, 201, view(fence));
    }

    private void fences(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.object();
        ArrayNode items = body.putArray("items");
        ctx.fences().forNode(node(req).id()).forEach(f -> items.add(view(f)));
        Json.send(res, 200, body);
    }

    private void readmit(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of("approved_by", "reason"));
        String approver = f.text("approved_by", APPROVER_MAX);
        String reason = f.text("reason", REASON_MAX);
        try {
            Json.send(res, 200, Views.node(ctx.fences().readmit(node(req).id(), approver, reason,
                    ctx.actions().reissueJob(), ctx.actions().enrollingDeadline())));
        } catch (IllegalStateException e) {
            throw new ApiException(409, "readmit-refused", "Readmission refused", e.getMessage());
        }
    }

    private void setGolden(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of("pcrs", "approved_by", "reason"));
        String group = group(req);
        String approver = f.text("approved_by", APPROVER_MAX);
        String reason = f.text("reason", REASON_MAX);
        Map<Integer, String> pcrs = new TreeMap<>();
        f.stringMap("pcrs").orElseThrow(() -> ApiException.badRequest("field 'pcrs' is required")).forEach((k, v) -> {
            try {
                pcrs.put(Integer.parseInt(k), v);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("'pcrs' keys must be PCR numbers, not '" + NodeInput.abbreviate(k) + "'");
            }
        });
        try {
            if (pcrs.isEmpty()) {
                throw ApiException.badRequest("field 'pcrs' must name at least one PCR");
            }
            ctx.verdicts().setGolden(group, pcrs, approver, reason);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        golden(req, res);
    }

    private static final int APPROVER_MAX = 200;
    private static final int REASON_MAX = 500;

    /** The {group} path parameter, checked the same way for reads and writes. */
    private static String group(ServerRequest req) {
        String group = req.path().pathParameters().get("group");
        if (!group.matches("[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?")) {
            throw ApiException.badRequest("the group name must be lower-case letters, digits, '.', '_' or '-'");
        }
        return group;
    }

    private void golden(ServerRequest req, ServerResponse res) {
        String group = group(req);
        ObjectNode body = Json.object().put("group", group);
        ObjectNode pcrs = body.putObject("pcrs");
        ctx.verdicts().golden().getOrDefault(group, Map.of()).forEach((p, v) -> pcrs.put(Integer.toString(p), v));
        Json.send(res, 200, body);
    }

    private void acceptBaseline(ServerRequest req, ServerResponse res) {
        Fields f = Fields.of(Json.body(req, ctx.config().api().maxBodyBytes()), Set.of("approved_by", "reason"));
        Node n = node(req);
        try {
            var accepted = ctx.verdicts().acceptBaseline(n.id(), n.name(), f.text("approved_by", APPROVER_MAX),
                    f.text("reason", REASON_MAX));
            Json.send(res, 200, Json.object().put("node_id", n.id()).put("attestation", accepted.get("attestation"))
                    .put("pcrs", accepted.get("pcrs")));
        } catch (IllegalStateException e) {
            throw new ApiException(409, "baseline-refused", "Baseline not accepted", e.getMessage());
        }
    }

    private void attestations(ServerRequest req, ServerResponse res) {
        Node n = node(req);
        int limit = Query.param(req, "limit").map(NodeRoutes::limit).orElse(100);
        ObjectNode body = Json.object().put("current", ctx.verdicts().current(n.id()).wire());
        body.put("ak_bound_to_ek", ctx.inventory().akBound(n.id()));
        ArrayNode items = body.putArray("items");
        for (AttestationRecord r : ctx.verdicts().history(n.id(), limit)) {
            ObjectNode o = items.addObject().put("id", r.id()).put("at", r.at().toString())
                    .put("verdict", r.verdict().wire()).put("nonce", r.nonceHex());
            r.reasons().forEach(o.putArray("reasons")::add);
        }
        Json.send(res, 200, body);
    }

    static ObjectNode view(Fence f) {
        ObjectNode o = Json.object().put("id", f.id()).put("node_id", f.nodeId()).put("trigger", f.trigger())
                .put("reason", f.reason()).put("actor", f.actor()).put("status", f.status())
                .put("created_at", f.createdAt().toString())
                .put("finished_at", f.finishedAt().map(Object::toString).orElse(null));
        ArrayNode steps = o.putArray("steps");
        f.steps().forEach(s -> steps.addObject().put("step", s.step()).put("status", s.status())
                .put("detail", s.detail().orElse(null)).put("updated_at", s.updatedAt().toString()));
        return o;
    }
}
