package dev.drawbridge.controller.enroll;

import dev.drawbridge.pki.CertificateAuthority;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Management-console CSR signing as tracked request objects: each request is Pending until the upstream
 * answers, then Complete, BadCSR or Failed, and is removed once answered. In-flight requests are bounded
 * by a semaphore and each waits at most the deadline. No copy of a signed certificate is kept here.
 *
 * <p>The built-in CA is CPU-only and bounded (one CSR parse, one verify, one sign), so it runs inline on the
 * caller's own (virtual) thread: a hand-off would only add a thread, a future and scheduling per request. Its
 * result still counts as a timeout if it took longer than the deadline. The command and http upstreams can
 * block, so they run on a virtual thread of their own and the caller stops waiting at the deadline.
 */
public final class ConsoleSigning {
    /** The state of a tracked request. */
    public enum State { PENDING, COMPLETE, BAD_CSR, FAILED }

    /** How a request ended, as the API maps it onto HTTP. */
    public sealed interface Result {
        record Complete(String certificatePem) implements Result {}

        record BadCsr(String message) implements Result {}

        record NotReady(String message, int retryAfterSeconds) implements Result {}

        record Failed(String message) implements Result {}
    }

    private final UpstreamCa upstream;
    private final Duration deadline;
    private final int retryAfterSeconds;
    private final Semaphore slots;
    private final boolean inline;
    private final Map<Long, State> requests = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    public ConsoleSigning(UpstreamCa upstream, Duration deadline, int maxInFlight, int retryAfterSeconds) {
        this.upstream = upstream;
        this.deadline = deadline;
        this.retryAfterSeconds = retryAfterSeconds;
        this.slots = new Semaphore(maxInFlight);
        this.inline = upstream instanceof BuiltinUpstream;
    }

    public Result sign(String csrPem) {
        if (!upstream.ready()) {
            return new Result.NotReady("the " + upstream.kind() + " CA is not ready", retryAfterSeconds);
        }
        if (!slots.tryAcquire()) {
            return new Result.NotReady("too many signing requests in flight", retryAfterSeconds);
        }
        Long id = ids.incrementAndGet();
        requests.put(id, State.PENDING);
        if (inline) {
            long started = System.nanoTime();
            try {
                Result result = run(id, csrPem);
                return System.nanoTime() - started > deadline.toNanos() ? timedOut() : result;
            } finally {
                slots.release();
                requests.remove(id);
            }
        }
        CompletableFuture<Result> work = new CompletableFuture<>();
        Thread.ofVirtual().name("console-sign-" + id).start(() -> {
            try {
                work.complete(run(id, csrPem));
            } finally {
                slots.release();
                requests.remove(id);
            }
        });
        try {
            return work.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return timedOut();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result.Failed("interrupted while waiting for the CA");
        } catch (ExecutionException e) {
            return new Result.Failed("signing failed: " + e.getCause().getMessage());
        }
    }

    private Result timedOut() {
        return new Result.NotReady("the " + upstream.kind() + " CA did not answer within " + deadline.toSeconds()
                + " s", retryAfterSeconds);
    }

    private Result run(Long id, String csrPem) {
        try {
            String pem = upstream.sign(csrPem);
            requests.replace(id, State.COMPLETE);
            return new Result.Complete(pem);
        } catch (UpstreamCa.BadCsr e) {
            requests.replace(id, State.BAD_CSR);
            return new Result.BadCsr(e.getMessage());
        } catch (UpstreamCa.NotReady e) {
            requests.replace(id, State.FAILED);
            return new Result.NotReady(e.getMessage(), retryAfterSeconds);
        } catch (UpstreamCa.UpstreamFailure | RuntimeException e) {
            requests.replace(id, State.FAILED);
            return new Result.Failed(e.getMessage());
        }
    }

    /** Requests not yet answered: the in-flight gauge. */
    public int inFlight() {
        return requests.size();
    }

    public String rootPem() {
        return upstream.rootPem();
    }

    public String upstreamKind() {
        return upstream.kind();
    }

    /** Builds the configured upstream: {@code builtin}, {@code command} or {@code http}. */
    public static UpstreamCa upstream(String kind, CertificateAuthority ca, String command,
                                      String httpUrl, String rootFile, Duration timeout,
                                      HttpClient client,
                                      Predicate<String> inventoryName) {
        String root = ca.rootPem();
        if (!rootFile.isBlank()) {
            try {
                root = Files.readString(Path.of(rootFile));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read management-console.upstream-root-file " + rootFile
                        + ": " + e.getMessage());
            }
        }
        return switch (kind) {
            case "builtin" -> new BuiltinUpstream(ca, inventoryName);
            case "command" -> new CommandUpstream(List.of("/bin/sh", "-c", requireSet(command,
                    "management-console.command")), root, timeout);
            case "http" -> new HttpUpstream(client, URI.create(requireSet(httpUrl,
                    "management-console.http-url")), root, timeout);
            default -> throw new IllegalArgumentException("management-console.upstream must be builtin, command or http, not '"
                    + kind + "'");
        };
    }

    private static String requireSet(String value, String key) {
        if (value.isBlank()) {
            throw new IllegalArgumentException(key + " must be set for this upstream");
        }
        return value;
    }
}
