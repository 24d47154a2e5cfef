package dev.drawbridge.bench;

import dev.drawbridge.attestation.AttestationKey;
import dev.drawbridge.attestation.Expectations;
import dev.drawbridge.attestation.HashAlg;
import dev.drawbridge.attestation.PcrSelection;
import dev.drawbridge.attestation.PcrValues;
import dev.drawbridge.attestation.Quote;
import dev.drawbridge.attestation.QuoteVerifier;
import dev.drawbridge.attestation.ReferenceValues;
import dev.drawbridge.attestation.TpmtSignature;
import dev.drawbridge.attestation.Verdict;
import dev.drawbridge.pki.CryptoProviders;
import dev.drawbridge.pki.ProviderStatus;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Quote verifications per second with {@link QuoteVerifier#create()}, on quotes a real swtpm made through
 * tpm2-tools ({@code tpm2_quote -m -s -o}), replayed from files: each verification parses the three files and
 * checks signature, signer, nonce, clock, PCR digest and reference values, exactly as the controller does.
 *
 * <p>Usage: {@code java -cp ... dev.drawbridge.bench.AttestationBench --dir QUOTES [--threads 2] [--warmup 5]
 * [--duration 10] [--rounds 3] [--kinds ecc,rsa]}. QUOTES holds, per kind ({@code ecc}, {@code rsa}):
 * {@code KIND.pub} (TPM2B_PUBLIC), {@code KIND.qname} (qualified Name) and quotes {@code KIND-I.msg/.sig/.pcrs/.nonce}
 * (nonce as hex). The crypto provider is chosen once per JVM: {@code DRAWBRIDGE_CRYPTO=jdk} keeps the JDK's.
 * Prints one JSON line per measured window.
 */
public final class AttestationBench {
    private AttestationBench() {}

    record Case(Quote quote, Expectations expectations) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = options(args);
        Path dir = Path.of(required(opts, "--dir"));
        int threads = Integer.parseInt(opts.getOrDefault("--threads", "2"));
        int warmup = Integer.parseInt(opts.getOrDefault("--warmup", "5"));
        int duration = Integer.parseInt(opts.getOrDefault("--duration", "10"));
        int rounds = Integer.parseInt(opts.getOrDefault("--rounds", "3"));
        List<String> kinds = List.of(opts.getOrDefault("--kinds", "ecc,rsa").split(","));

        ProviderStatus crypto = CryptoProviders.install();
        String provider = crypto.accp() ? "accp" : "jdk";
        QuoteVerifier verifier = QuoteVerifier.create();
        Map<String, List<Case>> cases = new LinkedHashMap<>();
        for (String kind : kinds) {
            List<Case> list = load(dir, kind);
            for (Case c : list) {
                Verdict v = verifier.verify(c.quote(), c.expectations());
                if (!v.trusted()) {
                    throw new IllegalStateException(kind + " quote is not trusted before the run: " + v);
                }
            }
            cases.put(kind, list);
            System.err.printf("attestation-bench: %d %s quotes (%s signatures) loaded and trusted; provider %s%n",
                    list.size(), kind, TpmtSignature.parse(list.get(0).quote().signature()).getClass().getSimpleName(),
                    crypto.active());
        }
        for (int round = 1; round <= rounds; round++) {
            for (String kind : kinds) {
                Window w = run(verifier, cases.get(kind), threads, warmup, duration);
                System.out.printf(Locale.ROOT, "{\"provider\":\"%s\",\"kind\":\"%s\",\"round\":%d,\"threads\":%d,"
                                + "\"seconds\":%.3f,\"verifications\":%d,\"per_second\":%.1f,\"untrusted\":%d,"
                                + "\"process_cores\":%.2f,\"other_cores\":%.2f,\"cpu_us_per_verification\":%.1f}%n",
                        provider, kind, round, threads, w.seconds, w.count, w.count / w.seconds, w.untrusted,
                        w.processCores, w.otherCores, w.processCores * 1e6 / (w.count / w.seconds));
                System.out.flush();
            }
        }
    }

    record Window(double seconds, long count, long untrusted, double processCores, double otherCores) {}

    /** {@code threads} platform threads verify round-robin over the cases; only the measured window is counted. */
    static Window run(QuoteVerifier verifier, List<Case> cases, int threads, int warmupSeconds, int seconds)
            throws InterruptedException {
        LongAdder done = new LongAdder();
        LongAdder untrusted = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int offset = t;
            Thread.ofPlatform().name("verify-" + t).start(() -> {
                int i = offset;
                while (!stop.get()) {
                    Case c = cases.get(i++ % cases.size());
                    if (!verifier.verify(c.quote(), c.expectations()).trusted()) {
                        untrusted.increment();
                    }
                    done.increment();
                }
                finished.countDown();
            });
        }
        Thread.sleep(warmupSeconds * 1000L);
        long c0 = done.sum();
        long u0 = untrusted.sum();
        Cpu cpu0 = Cpu.sample(-1);
        Thread.sleep(seconds * 1000L);
        long c1 = done.sum();
        long u1 = untrusted.sum();
        Cpu cpu1 = Cpu.sample(-1);
        stop.set(true);
        finished.await();
        double wall = (cpu1.nanoTime() - cpu0.nanoTime()) / 1e9;
        double process = (cpu1.generatorNs() - cpu0.generatorNs()) / 1e9 / wall;
        double machineTicks = cpu1.machineTicks() - cpu0.machineTicks();
        double busyTicks = machineTicks - (cpu1.machineIdleTicks() - cpu0.machineIdleTicks());
        double cores = Runtime.getRuntime().availableProcessors();
        double machineBusyCores = machineTicks > 0 ? busyTicks / machineTicks * cores : 0;
        return new Window(wall, c1 - c0, u1 - u0, process, Math.max(0, machineBusyCores - process));
    }

    /** The quotes of one kind, each with the expectations the controller would hold for it. */
    static List<Case> load(Path dir, String kind) throws IOException {
        AttestationKey ak = AttestationKey.fromTpm2bPublic(Files.readAllBytes(dir.resolve(kind + ".pub")))
                .withQualifiedName(Files.readAllBytes(dir.resolve(kind + ".qname")));
        List<Case> out = new ArrayList<>();
        for (int i = 0; Files.exists(dir.resolve(kind + "-" + i + ".msg")); i++) {
            String base = kind + "-" + i;
            Quote q = new Quote(Files.readAllBytes(dir.resolve(base + ".msg")), Files.readAllBytes(dir.resolve(base + ".sig")),
                    Files.readAllBytes(dir.resolve(base + ".pcrs")));
            byte[] nonce = HexFormat.of().parseHex(Files.readString(dir.resolve(base + ".nonce")).strip());
            PcrValues values = PcrValues.parse(q.pcrs());
            PcrSelection selection = values.selection();
            // Golden values: what the PCRs held when the quotes were made (the quotes are all of one boot).
            ReferenceValues reference = ReferenceValues.of(HashAlg.SHA256, values.bank(HashAlg.SHA256));
            out.add(new Case(q, Expectations.of(ak, nonce, selection, reference)));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no " + kind + "-0.msg in " + dir);
        }
        return out;
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("options are --name value pairs; bad: " + args[i]);
            }
            m.put(args[i], args[++i]);
        }
        return m;
    }

    static String required(Map<String, String> opts, String name) {
        String v = opts.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return v;
    }

    static long pid() {
        return ManagementFactory.getRuntimeMXBean().getPid();
    }
}
