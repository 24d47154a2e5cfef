package dev.drawbridge.controller.trust;

import dev.drawbridge.controller.config.ConfigException;
import dev.drawbridge.controller.config.ConfigLoader;
import dev.drawbridge.controller.config.TrustPolicyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trust policy as its YAML file says now: read again whenever the file's modification time or size changes,
 * so an edit takes effect for the next registration. A file that no longer parses keeps the last good policy in
 * force and is reported ({@link #problem()}, and a warning in the log) until it is fixed.
 */
final class PolicySource implements Supplier<TrustPolicyConfig> {
    private static final Logger LOG = LoggerFactory.getLogger(PolicySource.class);
    private final Path file;
    private volatile TrustPolicyConfig current;
    private volatile FileTime seenTime;
    private volatile long seenSize = -1;
    private volatile Optional<String> problem = Optional.empty();

    private PolicySource(Path file, TrustPolicyConfig initial) {
        this.file = file;
        this.current = initial;
    }

    /** The policy in {@code file}, which must parse now (a ConfigException says why not). */
    static PolicySource of(Path file) {
        PolicySource s = new PolicySource(file, TrustPolicyConfig.defaults());
        s.current = ConfigLoader.loadYaml(file, TrustPolicyConfig.defaults(), TrustPolicyConfig.class);
        s.stamp();
        return s;
    }

    /** The built-in defaults, with no file. */
    static Supplier<TrustPolicyConfig> defaults() {
        TrustPolicyConfig d = TrustPolicyConfig.defaults();
        return () -> d;
    }

    @Override
    public TrustPolicyConfig get() {
        try {
            FileTime t = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            if (!t.equals(seenTime) || size != seenSize) {
                reload(t, size);
            }
        } catch (IOException e) {
            report("cannot read " + file + ": " + e.getMessage());
        }
        return current;
    }

    private synchronized void reload(FileTime t, long size) {
        if (t.equals(seenTime) && size == seenSize) {
            return;
        }
        seenTime = t;
        seenSize = size;
        try {
            current = ConfigLoader.loadYaml(file, TrustPolicyConfig.defaults(), TrustPolicyConfig.class);
            problem = Optional.empty();
            LOG.info("trust policy reloaded from {}", file);
        } catch (ConfigException e) {
            report(e.getMessage());
        }
    }

    private void report(String what) {
        if (!problem.equals(Optional.of(what))) {
            LOG.warn("trust policy file problem, the last good policy stays in force: {}", what);
        }
        problem = Optional.of(what);
    }

    /** What is wrong with the file now, if anything. */
    Optional<String> problem() {
        return problem;
    }

    private void stamp() {
        try {
            seenTime = Files.getLastModifiedTime(file);
            seenSize = Files.size(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read trust.policy-file " + file + ": " + e.getMessage());
        }
    }
}
