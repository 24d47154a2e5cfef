package dev.drawbridge.controller.fence;

import dev.drawbridge.controller.trust.TrustService;
import dev.drawbridge.controller.enroll.Revocations;
import dev.drawbridge.controller.inventory.Node;
import dev.drawbridge.controller.inventory.PlacementColumns;
import dev.drawbridge.controller.placement.Instance;
import dev.drawbridge.controller.placement.Placement;
import dev.drawbridge.controller.store.Database;
import dev.drawbridge.pki.CertificateAuthority;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** The six fence steps, in the order they run. */
final class Steps {
    private Steps() {}

    static FenceStep disablePlacement(Database db) {
        return storeOnly(FenceStep.Standard.DISABLE_PLACEMENT, (fence, node, reason) -> {
            db.inTransaction(h -> {
                PlacementColumns.placementDisabled(h, node.id(), true);
                return null;
            });
            return FenceStep.Result.done("no new instances will be placed on " + node.name());
        });
    }

    static FenceStep revokeCertificates(Revocations revocations) {
        return step(FenceStep.Standard.REVOKE_CERTIFICATES, (fence, node, reason) -> {
            List<String> serials = revocations.revokeNode(node.id(), Revocations.KEY_COMPROMISE, "fence " + fence);
            return FenceStep.Result.done(serials.isEmpty() ? "no unrevoked certificates"
                    : "revoked " + String.join(",", serials) + "; CRL re-signed, OCSP answers revoked");
        });
    }

    /** Disables every OAuth client that speaks for the node; their tokens are refused from the next request. */
    static FenceStep revokeOauth(TrustService trust) {
        return step(FenceStep.Standard.REVOKE_OAUTH, (fence, node, reason) -> {
            List<String> disabled = trust.disableNode(node.id(), "fenced: " + reason);
            return FenceStep.Result.done(disabled.isEmpty() ? "no OAuth client speaks for " + node.name()
                    : "disabled " + disabled.size() + " OAuth client(s) of " + node.name() + " ("
                    + String.join(", ", disabled) + "); their tokens are refused from now on");
        });
    }

    static FenceStep powerOff(PowerControl power) {
        return step(FenceStep.Standard.POWER_OFF.wire(), false, true, (fence, node, reason) -> power.offAndConfirm(node));
    }

    static FenceStep evacuate(Placement placement) {
        return storeOnly(FenceStep.Standard.EVACUATE, (fence, node, reason) -> {
            List<Instance> moved = placement.evacuate(node.id(), fence);
            if (moved.isEmpty()) {
                return FenceStep.Result.done("no instances on " + node.name());
            }
            long unplaced = moved.stream().filter(i -> i.nodeId().isEmpty()).count();
            return FenceStep.Result.done((moved.size() - unplaced) + " instance(s) moved to trusted hosts, " + unplaced
                    + " left unplaced (no trusted host with room)");
        });
    }

    /** A webhook signed by the CA as a compact JWS ({@code application/jose}), so receivers can check who sent it. */
    static FenceStep notify(URI webhook, CertificateAuthority ca, HttpClient http, Clock clock) {
        return step(FenceStep.Standard.NOTIFY, (fence, node, reason) -> {
            String body = "{\"event\":\"node.fenced\",\"fence_id\":\"" + fence + "\",\"node_id\":\"" + node.id()
                    + "\",\"node_name\":\"" + node.name() + "\",\"reason\":" + quote(reason) + ",\"at\":\""
                    + clock.instant() + "\"}";
            try {
                HttpResponse<Void> res = http.send(HttpRequest.newBuilder(webhook).timeout(Duration.ofSeconds(5))
                        .header("Content-Type", "application/jose")
                        .POST(HttpRequest.BodyPublishers.ofString(ca.signJws(body))).build(),
                        HttpResponse.BodyHandlers.discarding());
                return res.statusCode() / 100 == 2 ? FenceStep.Result.done("webhook answered " + res.statusCode())
                        : FenceStep.Result.failed("webhook answered " + res.statusCode());
            } catch (IOException e) {
                return FenceStep.Result.failed("webhook unreachable: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return FenceStep.Result.failed("interrupted");
            }
        });
    }

    /** The notify step with no webhook configured. */
    static FenceStep nobodyToNotify() {
        return step(FenceStep.Standard.NOTIFY,
                (fence, node, reason) -> FenceStep.Result.done("nobody to notify: no fencing.webhook-url configured"));
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\\x00-\\x1f]", " ") + "\"";
    }

    @FunctionalInterface
    /** What a step does; {@link #step} wraps it. */
    interface Body {
        FenceStep.Result run(String fence, Node node, String reason);
    }

    private static FenceStep step(FenceStep.Standard name, Body body) {
        return step(name.wire(), false, false, body);
    }

    /** A step whose only effect is on the store (see {@link FenceStep#storeOnly()}). */
    private static FenceStep storeOnly(FenceStep.Standard name, Body body) {
        return step(name.wire(), true, false, body);
    }

    /** A step named {@code name} doing {@code body}; store-only as {@link FenceStep#storeOnly()} says. */
    static FenceStep step(String name, boolean storeOnly, Body body) {
        return step(name, storeOnly, false, body);
    }

    /** As above, and run beside the later steps as {@link FenceStep#runsBeside()} says. */
    static FenceStep step(String name, boolean storeOnly, boolean runsBeside, Body body) {
        return new FenceStep() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Result run(String fenceId, Node node, String reason) {
                return body.run(fenceId, node, reason);
            }

            @Override
            public boolean runsBeside() {
                return runsBeside;
            }

            @Override
            public boolean storeOnly() {
                return storeOnly;
            }
        };
    }
}
