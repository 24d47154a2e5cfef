package dev.drawbridge.controller.api;


import dev.drawbridge.controller.inventory.Inventory;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http1.Http1Config;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The controller's HTTPS listener: routes, default-deny authentication, problem details and metrics. */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** TLS 1.2 and 1.3 only. */
    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /**
     * AEAD suites only, strongest first: TLS 1.3's, then TLS 1.2 ECDHE with GCM or ChaCha20-Poly1305 (the
     * controller's key is EC, so only ECDSA suites can be chosen). No CBC, no RSA key exchange.
     */
    static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
    /** Protocols and suites above, chosen in the server's order; client certificates asked for, not required. */
    private static SSLParameters parameters() {
        SSLParameters p = new SSLParameters(CIPHER_SUITES.toArray(String[]::new),
                PROTOCOLS.toArray(String[]::new));
        p.setUseCipherSuitesOrder(true);
        p.setWantClientAuth(true);
        return p;
    }

    private final WebServer server;
    private final ApiContext ctx;
    private final AuthFailures failures;

    private final HeadDeadline headDeadline;

    private final Access access;

    private ApiServer(WebServer server, ApiContext ctx, AuthFailures failures, HeadDeadline headDeadline,
                      Access access) {
        this.access = access;
        this.server = server;
        this.ctx = ctx;
        this.failures = failures;
        this.headDeadline = headDeadline;
    }

    public static ApiServer start(ApiContext ctx, InetSocketAddress listen, SSLContext tls) {
        Access access = new Access();
        AuthFailures failures = new AuthFailures(ctx.metrics(), ctx.clock(), ctx.config().api().authFailuresPerMinute());
        HeadDeadline headDeadline = new HeadDeadline(ctx.config().api().requestHeadTimeout(), ctx.metrics());
        WebServer server = WebServer.builder()
                .host(listen.getHostString())
                .port(listen.getPort())
                .shutdownHook(false)
                .maxPayloadSize(16L * 1024 * 1024)
                .maxConcurrentRequests(ctx.config().api().maxConcurrentRequests())
                .shutdownGracePeriod(Duration.ofSeconds(5))
                .directHandlers(ProblemDirectHandler.all())
                .idleConnectionTimeout(ctx.config().api().idleConnectionTimeout())
                .idleConnectionPeriod(Duration.ofSeconds(2))
                .protocolsDiscoverServices(false)
                .addProtocol(Http1Config.builder().addReceiveListener(headDeadline).build())
                .tls(Tls.builder().sslContext(tls).clientAuth(TlsClientAuth.OPTIONAL)
                        .enabledProtocols(PROTOCOLS).enabledCipherSuites(CIPHER_SUITES).sslParameters(parameters())
                        .build())
                .routing(r -> routing(r, ctx, failures, access))
                .build()
                .start();
        return new ApiServer(server, ctx, failures, headDeadline, access);
    }

    /**
     * Writes the failed authentications since the last call as one audit row per source ({@code auth.failed}, with
     * the count by kind and whether the source was throttled). Run every minute.
     */
    public void auditAuthFailures() {
        var summaries = failures.drain();
        if (summaries.isEmpty()) {
            return;
        }
        var rows = new ArrayList<Inventory.AuditEntry>();
        for (var s : summaries) {
            var detail = new LinkedHashMap<String, String>();
            s.kinds().forEach((k, v) -> detail.put(k, Integer.toString(v)));
            detail.put("throttled", Boolean.toString(s.throttled()));
            rows.add(new Inventory.AuditEntry("auth.failed", s.source(), "refused", detail));
        }
        ctx.inventory().record(rows);
    }

    /** The HTTP method as a metrics label: the standard ones as they are, anything else as one value. */
    static String methodLabel(String method) {
        return switch (method) {
            case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" -> method;
            default -> "other";
        };
    }

    /** The route table: every guarded route with the scope it needs (the authorization matrix test walks it). */
    Access access() {
        return access;
    }

    static void routing(HttpRouting.Builder r, ApiContext ctx, AuthFailures failures, Access access) {
        r.addFilter(new AuthFilter(access, ctx.adminToken(), ctx.trust(), failures));
        r.addFilter((chain, req, res) -> {
            Timer.Sample sample = Timer.start(ctx.metrics());
            try {
                chain.proceed();
            } finally {
                sample.stop(Timer.builder("drawbridge.http.requests")
                        .tag("method", methodLabel(req.prologue().method().text()))
                        .tag("route", req.matchingPattern().orElse("unmatched"))
                        .tag("status", Integer.toString(res.status().code()))
                        .register(ctx.metrics()));
            }
        });
        r.register(new OpsRoutes(ctx, access), new NodeRoutes(ctx, access), new EnrollRoutes(ctx, access),
                new CaRoutes(ctx, access), new ActionRoutes(ctx, access), new AgentApiRoutes(ctx, access),
                new FenceRoutes(ctx, access), new InstanceRoutes(ctx, access), new TrustRoutes(ctx, access), new PeerRoutes(ctx, access),
                new DiscoveryRoutes(ctx, access), new MediaRoutes(ctx, access), new ClusterRoutes(ctx, access),
                new OAuthRoutes(ctx, failures), new DevicePage(ctx, failures));
        if (ctx.config().managementConsole().enabled()) {
            r.register(new ConsoleRoutes(ctx, access));
        }
        r.any((req, res) -> Problems.send(req, res, ApiException.notFound("no such endpoint: "
                + req.prologue().method().text() + " " + NodeInput.abbreviate(req.path().path())
                + "; see /v1/openapi.json")));
        r.error(ApiException.class, Problems::send);
        r.error(RuntimeException.class, (req, res, e) -> {
            if (ctx.unavailable().test(e)) {
                // The store is down or unreachable: nothing was written (the transaction rolled back); try again.
                LOG.warn("request {} {} failed: the store is unavailable ({})", req.prologue().method().text(),
                        req.path().path(), e.getMessage());
                Problems.send(req, res, new ApiException(503, "store-unavailable", "The store is unavailable",
                        "the controller cannot reach its store right now; nothing was written. Try again in "
                                + STORE_RETRY_SECONDS + " s", Map.of("Retry-After", Integer.toString(STORE_RETRY_SECONDS))));
                return;
            }
            String id = UUID.randomUUID().toString();
            LOG.error("request {} {} failed (error id {})", req.prologue().method().text(), req.path().path(), id, e);
            Problems.send(req, res, new ApiException(500, "internal-error", "Internal error",
                    "the controller failed to handle this request; error id " + id + " is in its log"));
        });
    }

    /** Retry-After on a 503 while the store is unreachable. */
    static final int STORE_RETRY_SECONDS = 5;

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
        headDeadline.close();
    }

    /** Connections whose request head is being read right now. */
    int readingHeads() {
        return headDeadline.reading();
    }
}
