package dev.drawbridge.agent;

import dev.drawbridge.protocol.CommandStatus.Progress;
import dev.drawbridge.protocol.CommandStatus.Status;
import dev.drawbridge.protocol.CommandStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one command at a time on a virtual thread and remembers the last {@value #KEEP} results (by default). One at a time
 * because commands touch the same disks and identity; a second one while the first runs is a 409.
 */
final class CommandRunner {
    static final int KEEP = 100;
    private static final Logger LOG = LoggerFactory.getLogger(CommandRunner.class);

    /** Executes a parsed command, reporting progress; throws CommandFailed to fail it. */
    interface Executor {
        Outcome execute(Command command, Consumer<Progress> progress);
    }

    private final Executor executor;
    private volatile Thread worker;
    private final Clock clock;
    private final int keep;
    private final Map<String, CommandStatus> history = new LinkedHashMap<>();
    /** Completed when the running command finishes, for {@link #await}. */
    private final Map<String, CompletableFuture<CommandStatus>> finished = new HashMap<>();
    private Optional<String> running = Optional.empty();

    CommandRunner(Executor executor, Clock clock) {
        this(executor, clock, KEEP);
    }

    /** Keeps the last {@code keep} results: a simulated fleet of thousands keeps fewer to stay small. */
    CommandRunner(Executor executor, Clock clock, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one result");
        }
        this.executor = executor;
        this.clock = clock;
        this.keep = keep;
    }

    int keep() {
        return keep;
    }

    /** The command's status once it finishes, or as it is after {@code max}; a command not known is an error. */
    CommandStatus await(String id, Duration max) {
        CompletableFuture<CommandStatus> done;
        synchronized (this) {
            CommandStatus s = history.get(id);
            if (s == null) {
                throw new IllegalArgumentException("no command " + id);
            }
            done = finished.get(id);
            if (done == null) {
                return s;
            }
        }
        try {
            return done.get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return get(id).orElseThrow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return get(id).orElseThrow();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    synchronized CommandStatus submit(String name, Command command) {
        if (running.isPresent()) {
            CommandStatus busy = history.get(running.get());
            throw new ApiProblem(409, "busy", "A command is running",
                    "command " + busy.name() + " (" + busy.id() + ") is still running; poll /v1/commands/" + busy.id());
        }
        String id = UUID.randomUUID().toString();
        CommandStatus status = new CommandStatus(id, name, Status.RUNNING, Optional.empty(), Optional.empty(),
                Optional.empty(), clock.instant(), Optional.empty());
        history.put(id, status);
        finished.put(id, new CompletableFuture<>());
        running = Optional.of(id);
        trim();
        worker = Thread.ofVirtual().name("command-" + name).start(() -> run(id, name, command));
        LOG.info("command {} {} started", name, id);
        return status;
    }

    /**
     * Stops the command in flight, if any: interrupts it (an image write stops at its next chunk) and waits up to
     * {@code wait} for it to record how it ended, so nothing writes into the data directory after the agent stopped.
     */
    void close(Duration wait) {
        Thread w = worker;
        if (w == null || !w.isAlive()) {
            return;
        }
        w.interrupt();
        try {
            w.join(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized Optional<CommandStatus> get(String id) {
        return Optional.ofNullable(history.get(id));
    }

    synchronized Optional<CommandStatus> current() {
        return running.map(history::get);
    }

    private void run(String id, String name, Command command) {
        try {
            Outcome outcome = executor.execute(command, p -> progress(id, p));
            succeeded(id, outcome.result());
            LOG.info("command {} {} succeeded", name, id);
            outcome.afterRecorded().run();
        } catch (CommandFailed e) {
            LOG.warn("command {} {} failed: {}", name, id, e.getMessage());
            failed(id, e.getMessage());
        } catch (RuntimeException | Error e) {
            LOG.error("command {} {} failed unexpectedly", name, id, e);
            failed(id, "internal error: " + e);
        }
    }

    private synchronized void progress(String id, Progress p) {
        CommandStatus s = history.get(id);
        history.put(id, new CommandStatus(s.id(), s.name(), s.status(), s.result(), s.error(), Optional.of(p),
                s.startedAt(), s.finishedAt()));
    }

    private synchronized void succeeded(String id, Map<String, Object> result) {
        CommandStatus s = history.get(id);
        finish(new CommandStatus(s.id(), s.name(), Status.SUCCEEDED, Optional.of(result), Optional.empty(),
                s.progress(), s.startedAt(), Optional.of(clock.instant())));
    }

    private synchronized void failed(String id, String error) {
        CommandStatus s = history.get(id);
        finish(new CommandStatus(s.id(), s.name(), Status.FAILED, Optional.empty(), Optional.of(error), s.progress(),
                s.startedAt(), Optional.of(clock.instant())));
    }

    private synchronized void finish(CommandStatus last) {
        String id = last.id();
        history.put(id, last);
        running = Optional.empty();
        Optional.ofNullable(finished.remove(id)).ifPresent(f -> f.complete(last));
    }

    private void trim() {
        var it = history.keySet().iterator();
        while (history.size() > keep && it.hasNext()) {
            String oldest = it.next();
            if (running.filter(oldest::equals).isEmpty()) {
                it.remove();
            }
        }
    }
}
