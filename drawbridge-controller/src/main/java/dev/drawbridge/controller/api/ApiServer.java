package dev.drawbridge.controller.api;

import io.helidon.common.tls.Tls;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The controller's HTTPS listener: routes, default-deny authentication, problem details and metrics. */
public final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private final WebServer server;

    private ApiServer(WebServer server) {
        this.server = server;
    }

    public static ApiServer start(ApiContext ctx, InetSocketAddress listen, SSLContext tls) {
        WebServer server = WebServer.builder()
                .host(listen.getHostString())
                .port(listen.getPort())
                .shutdownHook(false)
                .maxPayloadSize(16L * 1024 * 1024)
                .maxConcurrentRequests(ctx.config().api().maxConcurrentRequests())
                .shutdownGracePeriod(Duration.ofSeconds(5))
                .tls(Tls.builder().sslContext(tls).clientAuth(io.helidon.common.tls.TlsClientAuth.OPTIONAL).build())
                .routing(r -> routing(r, ctx))
                .build()
                .start();
        return new ApiServer(server);
    }

    static void routing(HttpRouting.Builder r, ApiContext ctx) {
        r.addFilter(new AuthFilter(ctx.adminToken()));
        r.addFilter((chain, req, res) -> {
            Timer.Sample sample = Timer.start(ctx.metrics());
            try {
                chain.proceed();
            } finally {
                sample.stop(Timer.builder("drawbridge.http.requests")
                        .tag("method", req.prologue().method().text())
                        .tag("route", req.matchingPattern().orElse("unmatched"))
                        .tag("status", Integer.toString(res.status().code()))
                        .register(ctx.metrics()));
            }
        });
        r.register(new OpsRoutes(ctx), new NodeRoutes(ctx), new EnrollRoutes(ctx), new CaRoutes(ctx), new ActionRoutes(ctx),
                new AgentApiRoutes(ctx), new FenceRoutes(ctx));
        if (ctx.config().managementConsole().enabled()) {
            r.register(new ConsoleRoutes(ctx));
        }
        r.any((req, res) -> Problems.send(req, res, ApiException.notFound("no such endpoint: "
                + req.prologue().method().text() + " " + NodeInput.abbreviate(req.path().path())
                + "; see /v1/openapi.json")));
        r.error(ApiException.class, Problems::send);
        r.error(RuntimeException.class, (req, res, e) -> {
            String id = UUID.randomUUID().toString();
            LOG.error("request {} {} failed (error id {})", req.prologue().method().text(), req.path().path(), id, e);
            Problems.send(req, res, new ApiException(500, "internal-error", "Internal error",
                    "the controller failed to handle this request; error id " + id + " is in its log"));
        });
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }
}
