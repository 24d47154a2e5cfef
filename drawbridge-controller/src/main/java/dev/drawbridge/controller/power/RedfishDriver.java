package dev.drawbridge.controller.power;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.drawbridge.protocol.Wire;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;

/**
 * Drives a BMC through DMTF Redfish (DSP0266): finds the system under {@code /redfish/v1/Systems}, reads its
 * {@code PowerState}, and posts {@code ComputerSystem.Reset} with {@code ForceOff} or {@code On}. ForceOff, not
 * GracefulShutdown, because a fenced node must stop now. Its virtual media: the first CD or DVD slot of the first
 * manager that has one, through the actions that slot names ({@code VirtualMedia.InsertMedia}, {@code EjectMedia}).
 * Trust is the SSLContext given at construction.
 */
final class RedfishDriver implements PowerDriver, VirtualMedia {
    private static final ObjectMapper JSON = Wire.JSON;

    private final HttpClient client;
    private final Duration timeout;

    RedfishDriver(SSLContext trust, Duration timeout) {
        this.client = HttpClient.newBuilder().sslContext(trust).connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "redfish";
    }

    @Override
    public PowerState status(BmcTarget target) {
        return switch (get(target, systemPath(target)).path("PowerState").asText("")) {
            case "On" -> PowerState.ON;
            case "Off" -> PowerState.OFF;
            default -> PowerState.UNKNOWN; // PoweringOn, PoweringOff, Paused or missing: neither is settled
        };
    }

    @Override
    public void off(BmcTarget target) {
        reset(target, "ForceOff");
    }

    @Override
    public void on(BmcTarget target) {
        reset(target, "On");
    }

    private void reset(BmcTarget target, String type) {
        String system = systemPath(target);
        // The system resource names its reset target (DSP0266 §7.8); the default path is the common layout.
        String action = get(target, system).path("Actions").path("#ComputerSystem.Reset").path("target")
                .asText(system + "/Actions/ComputerSystem.Reset");
        String body = JSON.createObjectNode().put("ResetType", type).toString();
        send(target, request(target, action).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), "reset " + type);
    }

    @Override
    public void insert(BmcTarget target, String imageUrl) {
        String slot = cdSlot(target);
        String action = get(target, slot).path("Actions").path("#VirtualMedia.InsertMedia").path("target")
                .asText(slot + "/Actions/VirtualMedia.InsertMedia");
        String body = JSON.createObjectNode().put("Image", imageUrl).put("Inserted", true).put("WriteProtected", true)
                .toString();
        send(target, request(target, action).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), "insert media");
    }

    @Override
    public void eject(BmcTarget target) {
        String slot = cdSlot(target);
        String action = get(target, slot).path("Actions").path("#VirtualMedia.EjectMedia").path("target")
                .asText(slot + "/Actions/VirtualMedia.EjectMedia");
        send(target, request(target, action).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), "eject media");
    }

    /** The first virtual-media slot that takes a CD or DVD, on the first manager that has one. */
    private String cdSlot(BmcTarget target) {
        for (JsonNode manager : get(target, "/redfish/v1/Managers").path("Members")) {
            String collection = get(target, manager.path("@odata.id").asText()).path("VirtualMedia")
                    .path("@odata.id").asText("");
            if (collection.isEmpty()) {
                continue;
            }
            for (JsonNode member : get(target, collection).path("Members")) {
                String path = member.path("@odata.id").asText("");
                for (JsonNode type : get(target, path).path("MediaTypes")) {
                    if (type.asText().equals("CD") || type.asText().equals("DVD")) {
                        return path;
                    }
                }
            }
        }
        throw new PowerException("no virtual CD or DVD slot at " + base(target) + "/redfish/v1/Managers");
    }

    private String systemPath(BmcTarget target) {
        JsonNode members = get(target, "/redfish/v1/Systems").path("Members");
        String wanted = target.option("system-id").map(id -> "/" + id).orElse("");
        for (JsonNode member : members) {
            String path = member.path("@odata.id").asText("");
            if (!path.isEmpty() && path.endsWith(wanted)) {
                return path;
            }
        }
        throw new PowerException("no computer system" + (wanted.isEmpty() ? "" : " " + wanted)
                + " at " + base(target) + "/redfish/v1/Systems");
    }

    private JsonNode get(BmcTarget target, String path) {
        String body = send(target, request(target, path).GET().build(), "GET " + path);
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new PowerException("not JSON from " + base(target) + path);
        }
    }

    private String send(BmcTarget target, HttpRequest request, String what) {
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                String body = response.body().length() > 200 ? response.body().substring(0, 200) : response.body();
                throw new PowerException("redfish " + what + " at " + base(target) + " answered "
                        + response.statusCode() + ": " + target.password().redact(body.strip()));
            }
            return response.body();
        } catch (IOException e) {
            throw new PowerException("redfish " + what + " at " + base(target) + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PowerException("interrupted during redfish " + what, e);
        }
    }

    private HttpRequest.Builder request(BmcTarget target, String path) {
        String credentials = target.username() + ":" + target.password().reveal();
        return HttpRequest.newBuilder(URI.create(base(target) + path)).timeout(timeout)
                .header("Accept", "application/json")
                .header("Authorization", "Basic "
                        + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    }

    private static String base(BmcTarget target) {
        String host = target.host().contains(":") ? "[" + target.host() + "]" : target.host();
        return target.option("scheme").orElse("https") + "://" + host + ":" + target.port();
    }

    @Override
    public String toString() {
        return name();
    }
}
