package dev.drawbridge.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * CSR-to-certificate issuance load generator: N closed-loop clients, each on one keep-alive HTTP/1.1
 * connection, post pre-made P-256 CSRs for a warm-up and then a fixed measured window. Counts only 2xx
 * answers that hold a certificate; everything else is an error, reported apart from the throughput.
 */
public final class IssuanceBench {
    private IssuanceBench() {}

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("IssuanceBench: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        long made = System.nanoTime();
        byte[][] requests = Requests.build(o, CsrPool.load(o.csrs(), o.csrCache()));
        double csrSeconds = (System.nanoTime() - made) / 1e9;
        LoadTarget target = LoadTarget.of(o.url(), o.caFile(), o.verifyHost());

        int before = Math.max(TcpTable.establishedTo(target.port()), 0);
        CountDownLatch ready = new CountDownLatch(o.clients());
        CountDownLatch go = new CountDownLatch(1);
        List<Client> clients = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < o.clients(); i++) {
            Client c = new Client(i, o.clients(), target, requests, ready, go);
            clients.add(c);
            threads.add(Thread.ofPlatform().name("client-" + i).start(c));
        }
        ready.await(); // every client has opened (and TLS-handshaked) its one connection
        int established = TcpTable.establishedTo(target.port()) - before;
        long start = System.nanoTime() + (long) (o.warmupSeconds() * 1e9);
        Client.Window window = new Client.Window(start, start + (long) (o.durationSeconds() * 1e9));
        clients.forEach(c -> c.window(window));
        go.countDown();

        sleepUntil(window.start);
        Cpu cpu0 = Cpu.sample(o.serverPid());
        sleepUntil(window.end - TimeUnit.MILLISECONDS.toNanos(300));
        int establishedAtEnd = TcpTable.establishedTo(target.port()) - before;
        sleepUntil(window.end);
        Cpu cpu1 = Cpu.sample(o.serverPid());
        window.stop = true;
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(35));
        }
        Report r = Report.of(o, clients, cpu0, cpu1, established, establishedAtEnd, csrSeconds);
        System.out.println(r.json());
        System.err.println(r.human());
        System.exit(r.failed() ? 3 : 0);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
