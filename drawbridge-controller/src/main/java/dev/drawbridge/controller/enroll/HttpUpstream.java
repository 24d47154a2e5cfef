package dev.drawbridge.controller.enroll;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * An external CA reached over HTTP(S): {@code POST} of the CSR PEM as {@code application/pkcs10}; 200 with
 * a PEM certificate is success, 400 or 422 is a refused CSR, 503 means not ready, anything else is a failure.
 */
final class HttpUpstream implements UpstreamCa {
    private final HttpClient client;
    private final URI url;
    private final String rootPem;
    private final Duration timeout;

    HttpUpstream(HttpClient client, URI url, String rootPem, Duration timeout) {
        this.client = client;
        this.url = url;
        this.rootPem = rootPem;
        this.timeout = timeout;
    }

    @Override
    public String sign(String csrPem) throws BadCsr, NotReady, UpstreamFailure {
        HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/pkcs10")
                .POST(HttpRequest.BodyPublishers.ofString(csrPem)).build();
        HttpResponse<String> res;
        try {
            res = client.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UpstreamFailure("the upstream CA at " + url + " cannot be reached: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamFailure("interrupted");
        }
        return switch (res.statusCode()) {
            case 200 -> CommandUpstream.requireCertificate(res.body());
            case 400, 422 -> throw new BadCsr("the upstream CA refused the CSR");
            case 503 -> throw new NotReady("the upstream CA is not ready");
            default -> throw new UpstreamFailure("the upstream CA answered HTTP " + res.statusCode());
        };
    }

    @Override
    public boolean ready() {
        return true;
    }

    @Override
    public String rootPem() {
        return rootPem;
    }

    @Override
    public String kind() {
        return "http";
    }
}
