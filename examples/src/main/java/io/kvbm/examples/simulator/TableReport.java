package io.kvbm.examples.simulator;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** Prints a sweep as plain-text tables: hit rate per policy and capacity, then throughput (and queueing). */
public final class TableReport {

    private TableReport() {}

    /**
     * Prints the tables.
     *
     * @param sweep the measurements
     * @param out where to print
     */
    public static void print(SweepResult sweep, PrintStream out) {
        SweepPlan plan = sweep.plan();
        List<Integer> capacities = plan.capacities();
        out.printf(
                Locale.ROOT,
                "%nTrace: %s — %,d requests, %,d prompt blocks, %,d distinct (block size %d)%n",
                sweep.traceName(),
                sweep.requests(),
                sweep.totalBlocks(),
                sweep.distinctBlocks(),
                plan.blockSize());
        out.printf(
                Locale.ROOT,
                "Hit rate = Σ matched blocks / Σ prompt blocks, %s replay, capacity in blocks:%n%n",
                plan.mode().name().toLowerCase(Locale.ROOT));

        int nameWidth = 18;
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-" + nameWidth + "s", "policy"));
        for (int c : capacities) {
            header.append(String.format(Locale.ROOT, "%9s", String.format(Locale.ROOT, "%,d", c)));
        }
        out.println(header);
        out.println("-".repeat(header.length()));
        for (String name : sweep.names()) {
            boolean bound = name.equals("belady") || name.equals("infinite");
            if (bound && name.equals("belady")) {
                out.println("-".repeat(header.length()));
            }
            StringBuilder row = new StringBuilder(
                    String.format(Locale.ROOT, "%-" + nameWidth + "s", bound ? name + " (bound)" : name));
            for (int c : capacities) {
                row.append(sweep.find(name, c)
                        .map(r -> String.format(Locale.ROOT, "%8.2f%%", 100 * r.hitRate()))
                        .orElse(String.format(Locale.ROOT, "%9s", "-")));
            }
            out.println(row);
        }
        if (plan.bounds() && plan.mode() == ReplayMode.CONCURRENT) {
            out.println(
                    "(the bounds are computed for the sequential model; concurrent hit rates may differ either way)");
        }

        out.printf(Locale.ROOT, "%nReplay throughput through BlockManager (wall time, mean over capacities):%n%n");
        out.printf(
                Locale.ROOT, "%-" + nameWidth + "s%14s%16s%12s%n", "policy", "requests/s", "block ops/s", "replay ms");
        for (String name : plan.policies()) {
            double seconds = 0;
            long requests = 0;
            long ops = 0;
            for (int c : capacities) {
                ReplayResult r = sweep.find(name, c).orElseThrow();
                seconds += r.wallNanos() / 1e9;
                requests += r.requests();
                ops += r.blockOperations();
            }
            out.printf(
                    Locale.ROOT,
                    "%-" + nameWidth + "s%,14.0f%,16.0f%,12.0f%n",
                    name,
                    requests / seconds,
                    ops / seconds,
                    1000 * seconds / capacities.size());
        }

        if (plan.mode() == ReplayMode.CONCURRENT) {
            ConcurrentConfig cc = plan.concurrent();
            out.printf(
                    Locale.ROOT,
                    "%nConcurrent model: speed-up %.2f, at most %d running, prefill %.1f ms/block, decode %.1f ms/token,"
                            + " preemption after %.1f ms without a block, %d reserved block(s) per running request."
                            + " Queueing = arrival to prompt blocks granted (simulated ms).%n%n",
                    cc.speedup(),
                    cc.maxRunning(),
                    cc.prefillMillisPerBlock(),
                    cc.decodeMillisPerToken(),
                    cc.preemptAfterMillis(),
                    cc.reservePerRunning());
            out.printf(
                    Locale.ROOT,
                    "%-" + nameWidth + "s%9s%9s%11s%11s%11s%12s%9s%9s%n",
                    "policy",
                    "capacity",
                    "hit",
                    "queue mean",
                    "queue p50",
                    "queue p99",
                    "preemptions",
                    "peak run",
                    "rejected");
            for (String name : plan.policies()) {
                for (int c : capacities) {
                    ReplayResult r = sweep.find(name, c).orElseThrow();
                    ConcurrentStats s = r.concurrent();
                    out.printf(
                            Locale.ROOT,
                            "%-" + nameWidth + "s%,9d%8.2f%%%11.1f%11.1f%11.1f%,12d%9d%9d%n",
                            name,
                            c,
                            100 * r.hitRate(),
                            s.meanQueueingMillis(),
                            s.p50QueueingMillis(),
                            s.p99QueueingMillis(),
                            s.preemptions(),
                            s.peakRunning(),
                            s.rejected());
                }
            }
        }
        out.printf(
                Locale.ROOT,
                "%n%d replays and bounds in %.1f s on %d thread(s), %d core(s) available.%n",
                sweep.results().stream()
                                .filter(r -> !r.name().equals("infinite"))
                                .count()
                        + (plan.bounds() ? 1 : 0),
                sweep.wallNanos() / 1e9,
                plan.threads(),
                Runtime.getRuntime().availableProcessors());
    }
}
