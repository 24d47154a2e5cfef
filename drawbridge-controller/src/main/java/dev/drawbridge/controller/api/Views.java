package dev.drawbridge.controller.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drawbridge.controller.enroll.CertificateRecord;
import dev.drawbridge.controller.inventory.AuditEvent;
import dev.drawbridge.controller.inventory.Node;
import java.io.IOException;

/** The JSON shapes the API answers with (snake_case keys, RFC 3339 times). */
final class Views {
    private Views() {}

    static ObjectNode node(Node n) {
        ObjectNode o = Json.object().put("id", n.id()).put("name", n.name());
        n.macs().forEach(o.putArray("macs")::add);
        ObjectNode labels = o.putObject("labels");
        n.labels().forEach(labels::put);
        o.put("bmc_address", n.bmcAddress().orElse(null));
        o.put("bmc_username", n.bmcUsername().orElse(null));
        o.put("bmc_password_ref", n.bmcPasswordRef().orElse(null)); // where the password is read, never the password
        o.put("agent_address", n.agentAddress().orElse(null));
        o.put("state", n.state().wire());
        o.put("reason", n.reason().orElse(null));
        o.put("system_uuid", n.systemUuid().orElse(null));
        o.put("mode", n.mode());
        o.put("last_seen", n.lastSeen().map(Object::toString).orElse(null));
        o.put("unreachable", n.unreachable());
        if (n.progress().isPresent()) {
            try {
                o.set("progress", Json.MAPPER.readTree(n.progress().get()));
            } catch (IOException e) {
                o.put("progress", n.progress().get());
            }
        } else {
            o.putNull("progress");
        }
        o.put("created_at", n.createdAt().toString());
        o.put("updated_at", n.updatedAt().toString());
        o.put("version", n.version());
        return o;
    }

    static ObjectNode event(AuditEvent e) {
        ObjectNode o = Json.object().put("seq", e.seq()).put("at", e.at().toString()).put("kind", e.kind())
                .put("subject", e.subject()).put("outcome", e.outcome());
        ObjectNode detail = o.putObject("detail");
        e.detail().forEach(detail::put);
        return o.put("prev_hash", e.prevHash()).put("hash", e.hash());
    }

    static ObjectNode certificate(CertificateRecord c) {
        ObjectNode o = Json.object().put("serial", c.serialHex()).put("node_id", c.nodeId().orElse(null))
                .put("profile", c.profile()).put("subject", c.subject())
                .put("not_before", c.notBefore().toString()).put("not_after", c.notAfter().toString())
                .put("status", c.revokedAt().isPresent() ? "revoked" : "good")
                .put("revoked_at", c.revokedAt().map(Object::toString).orElse(null));
        if (c.revokedAt().isPresent()) {
            o.put("reason_code", c.reasonCode());
        }
        if (!c.pem().isEmpty()) {
            o.put("certificate", c.pem());
        }
        return o;
    }
}
