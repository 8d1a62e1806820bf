package io.kvbm.benchmarks.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Reads a JMH JSON result file and prints, as Markdown, every pair "ours vs peer" measured in that run with the speed
 * ratio, the unpaired results, the allocation per operation and the speed targets of the benchmarks issue, each met or
 * missed.
 *
 * <p>All scores are converted to nanoseconds per operation (a throughput score over k threads becomes the wall time
 * per operation of all k together). Each benchmark is reported by its <em>best</em> measurement iteration (the
 * least disturbed one: on a shared machine other processes only ever add time) and by JMH's mean ± 99.9 % error.
 * Ratios and targets use the best iterations; the ratio of the means follows in parentheses. The ratio is
 * {@code peer time / our time}: above 1 we are faster, 0.2 means we take 5 times as long.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.kvbm.benchmarks.report.RatioReport results.json}
 * ({@code benchmarks/run-quick.sh} does it for you).
 */
public final class RatioReport {

    /** One benchmark × parameter combination of the run. */
    record Result(
            String name,
            Map<String, String> params,
            int threads,
            double mean,
            double meanError,
            double ns,
            double bytes) {

        String paramText() {
            if (params.isEmpty()) {
                return "";
            }
            StringBuilder sb = new StringBuilder();
            params.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ")
                    .append(k)
                    .append('=')
                    .append(v));
            return sb.toString();
        }
    }

    /** Our benchmark, its peer, and the parameters the peer does not have. */
    record Pair(String ours, String peer, String label, List<String> peerIgnores) {}

    static final List<Pair> PAIRS = List.of(
            new Pair(
                    "AllocateBenchmark.allocateClose",
                    "AllocateBenchmark.reactorPoolAcquireRelease",
                    "allocate()+close vs reactor-pool acquire+release, 1 thread",
                    List.of()),
            new Pair(
                    "AllocateBenchmark.allocateClose2Threads",
                    "AllocateBenchmark.reactorPoolAcquireRelease2Threads",
                    "allocate()+close vs reactor-pool acquire+release, 2 threads",
                    List.of()),
            new Pair(
                    "AllocateBenchmark.allocateClose2Threads",
                    "AllocateBenchmark.allocateClose",
                    "ours on 2 threads vs ours on 1 thread (total throughput)",
                    List.of()),
            new Pair(
                    "TryAllocateBenchmark.tryAllocateClose",
                    "TryAllocateBenchmark.plainFloor",
                    "tryAllocate(n)+close vs ArrayDeque+HashMap floor",
                    List.of()),
            new Pair(
                    "TryAllocateBenchmark.allocateClose",
                    "TryAllocateBenchmark.plainFloor",
                    "allocate(n)+close vs ArrayDeque+HashMap floor",
                    List.of()),
            new Pair(
                    "TryAllocateBenchmark.allocateCloseAll",
                    "TryAllocateBenchmark.plainFloor",
                    "allocate(n)+closeAllMutable vs ArrayDeque+HashMap floor",
                    List.of()),
            new Pair(
                    "MatchBenchmark.activeHit",
                    "CaffeineMatchBenchmark.getIfPresent",
                    "match, active hits, + close vs Caffeine getIfPresent x N",
                    List.of("policy")),
            new Pair(
                    "MatchBenchmark.inactiveHit",
                    "CaffeineMatchBenchmark.getIfPresent",
                    "match, inactive hits, + close vs Caffeine getIfPresent x N",
                    List.of("policy")),
            new Pair(
                    "MatchBenchmark.activeHitCloseAll",
                    "CaffeineMatchBenchmark.getIfPresent",
                    "match, active hits, + closeAll vs Caffeine getIfPresent x N",
                    List.of("policy")),
            new Pair(
                    "MatchBenchmark.inactiveHitCloseAll",
                    "CaffeineMatchBenchmark.getIfPresent",
                    "match, inactive hits, + closeAll vs Caffeine getIfPresent x N",
                    List.of("policy")),
            new Pair(
                    "FrequencySketchBenchmark.increment",
                    "FrequencySketchBenchmark.kvbmIncrement",
                    "sketch increment vs kvbm's layout",
                    List.of()),
            new Pair(
                    "FrequencySketchBenchmark.frequency",
                    "FrequencySketchBenchmark.kvbmFrequency",
                    "sketch frequency vs kvbm's layout",
                    List.of()));

    private RatioReport() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: RatioReport <jmh-result.json>");
            System.exit(2);
        }
        List<Result> results = read(Path.of(args[0]));
        StringBuilder out = new StringBuilder();
        header(out);
        pairs(out, results);
        unpaired(out, results);
        targets(out, results);
        System.out.print(out);
    }

    static List<Result> read(Path file) throws IOException {
        Object root = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        List<Result> results = new ArrayList<>();
        for (Object o : (List<?>) root) {
            Map<?, ?> r = (Map<?, ?>) o;
            String benchmark = (String) r.get("benchmark");
            String[] parts = benchmark.split("\\.");
            String name = parts[parts.length - 2] + "." + parts[parts.length - 1];
            Map<String, String> params = new TreeMap<>();
            Object p = r.get("params");
            if (p instanceof Map<?, ?> m) {
                m.forEach((k, v) -> params.put((String) k, String.valueOf(v)));
            }
            int threads = ((Number) r.get("threads")).intValue();
            Map<?, ?> primary = (Map<?, ?>) r.get("primaryMetric");
            double score = number(primary.get("score"));
            double error = number(primary.get("scoreError"));
            String unit = (String) primary.get("scoreUnit");
            double best = Double.NaN;
            for (Object fork : (List<?>) primary.get("rawData")) {
                for (Object iteration : (List<?>) fork) {
                    double v = number(iteration);
                    boolean throughput = unit.startsWith("ops/");
                    if (Double.isNaN(best) || (throughput ? v > best : v < best)) {
                        best = v;
                    }
                }
            }
            double mean;
            double meanError;
            double ns;
            if (unit.startsWith("ops/")) {
                double nanos = nanosPer(unit.substring(4));
                mean = nanos / score;
                meanError = Double.isNaN(error) ? Double.NaN : mean * error / score;
                ns = nanos / best;
            } else {
                double scale = nanosPer(unit.substring(0, unit.indexOf('/')));
                mean = score * scale;
                meanError = error * scale;
                ns = best * scale;
            }
            double bytes = Double.NaN;
            Object secondary = r.get("secondaryMetrics");
            if (secondary instanceof Map<?, ?> s && s.get("gc.alloc.rate.norm") instanceof Map<?, ?> alloc) {
                bytes = number(alloc.get("score"));
            }
            results.add(new Result(name, params, threads, mean, meanError, ns, bytes));
        }
        return results;
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static double nanosPer(String unit) {
        switch (unit) {
            case "ns":
                return 1;
            case "us":
                return 1e3;
            case "ms":
                return 1e6;
            case "s":
                return 1e9;
            case "min":
                return 60e9;
            default:
                throw new IllegalArgumentException("unknown time unit " + unit);
        }
    }

    private static void header(StringBuilder out) {
        out.append("## kvbm-reactive benchmarks: ours vs peers in one run\n\n");
        out.append(String.format(
                Locale.ROOT,
                "JDK %s (%s), %d cores; load average after the run: %s; before: %s%n%n",
                System.getProperty("java.version"),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(),
                loadAverage(),
                System.getProperty("load.before", "n/a")));
        out.append("Times are ns per operation: the best measurement iteration, then JMH's mean ± 99.9 % error in ")
                .append("parentheses. speed = peer time / our time on the best iterations (> 1: we are faster), the ")
                .append("ratio of the means in parentheses. B/op = gc.alloc.rate.norm (blank without -prof gc).\n\n");
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static void pairs(StringBuilder out, List<Result> results) {
        out.append("### Pairs\n\n");
        out.append("| comparison | params | ours (ns/op) | peer (ns/op) | speed ours/peer | ours B/op | peer B/op |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|\n");
        for (Pair pair : PAIRS) {
            for (Result ours : results) {
                if (!ours.name().equals(pair.ours())) {
                    continue;
                }
                Result peer = find(results, pair.peer(), ours.params(), pair.peerIgnores());
                if (peer == null) {
                    continue;
                }
                double ratio = peer.ns() / ours.ns();
                double meanRatio = peer.mean() / ours.mean();
                out.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %s | %s | **%s** (%s) | %s | %s |%n",
                        pair.label(),
                        ours.paramText(),
                        time(ours),
                        time(peer),
                        fixed(ratio),
                        fixed(meanRatio),
                        bytes(ours),
                        bytes(peer)));
            }
        }
        out.append('\n');
    }

    private static void unpaired(StringBuilder out, List<Result> results) {
        List<Result> bulk = results.stream()
                .filter(r -> r.name().startsWith("BulkCloseBenchmark."))
                .toList();
        if (bulk.isEmpty()) {
            return;
        }
        out.append("### Bulk close of N registered blocks (kvbm bulk_drop; no JVM peer)\n\n");
        out.append("B/op includes the match that prepares each invocation (outside the timed region).\n\n");
        out.append("| close | params | ns/op | ns/block (best) | B/op |\n|---|---|---:|---:|---:|\n");
        for (Result r : bulk) {
            int n = Integer.parseInt(r.params().get("blocks"));
            out.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %s | %s |%n",
                    r.name().substring(r.name().indexOf('.') + 1),
                    r.paramText(),
                    time(r),
                    fixed(r.ns() / n),
                    bytes(r)));
        }
        out.append('\n');
    }

    private static void targets(StringBuilder out, List<Result> results) {
        out.append("### Targets\n\n| target | measured | met |\n|---|---|---|\n");
        Result ours1 = find(results, "AllocateBenchmark.allocateClose", Map.of(), List.of("poolSize"));
        Result pool1 = find(results, "AllocateBenchmark.reactorPoolAcquireRelease", Map.of(), List.of("poolSize"));
        Result ours2 = find(results, "AllocateBenchmark.allocateClose2Threads", Map.of(), List.of("poolSize"));
        if (ours1 != null && pool1 != null) {
            double r = pool1.ns() / ours1.ns();
            target(out, "allocate(1)+close >= 10x reactor-pool, 1 thread", fixed(r) + "x", r >= 10);
        }
        if (ours1 != null && ours2 != null) {
            double r = ours1.ns() / ours2.ns();
            target(
                    out,
                    "our 2-thread throughput >= our 1-thread throughput",
                    String.format(
                            Locale.ROOT,
                            "%s vs %s ops/us (%sx)",
                            fixed(1000 / ours2.ns()),
                            fixed(1000 / ours1.ns()),
                            fixed(r)),
                    r >= 1);
        }
        Result try1 = find(results, "TryAllocateBenchmark.tryAllocateClose", Map.of("n", "1"), List.of());
        Result floor1 = find(results, "TryAllocateBenchmark.plainFloor", Map.of("n", "1"), List.of());
        if (try1 != null && floor1 != null) {
            double r = floor1.ns() / try1.ns();
            target(
                    out,
                    "tryAllocate(1)+close >= 0.2x the plain floor",
                    String.format(Locale.ROOT, "%sx (%s vs %s ns)", fixed(r), fixed(try1.ns()), fixed(floor1.ns())),
                    r >= 0.2);
        }
        String[][] variants = {{"allocateClose", "close() each"}, {"allocateCloseAll", "closeAllMutable"}};
        for (String[] variant : variants) {
            Result bulkAlloc = find(results, "TryAllocateBenchmark." + variant[0], Map.of("n", "128"), List.of());
            if (bulkAlloc != null) {
                double perBlock = bulkAlloc.ns() / 128;
                target(
                        out,
                        "allocate(128)+close of all 128 <= 30 ns/block, " + variant[1],
                        fixed(perBlock) + " ns/block",
                        perBlock <= 30);
            }
        }
        worst(out, results, "MatchBenchmark.activeHit", "match of 128 active hits <= 5 us, close() each", 5000, 1);
        worst(out, results, "MatchBenchmark.activeHitCloseAll", "match of 128 active hits <= 5 us, closeAll", 5000, 1);
        worst(
                out,
                results,
                "BulkCloseBenchmark.closeEach",
                "bulk close of 128 blocks <= 50 ns/block, close() each",
                50,
                128);
        worst(
                out,
                results,
                "BulkCloseBenchmark.closeAll",
                "bulk close of 128 blocks <= 50 ns/block, closeAll",
                50,
                128);
        if (ours1 != null) {
            target(
                    out,
                    "allocation per allocate(1)+close: only the guard",
                    bytes(ours1) + " B/op (reactor-pool " + (pool1 == null ? "n/a" : bytes(pool1)) + ")",
                    null);
        }
        out.append('\n');
    }

    /** The worst policy at blocks=128 against a limit on score / divisor. */
    private static void worst(
            StringBuilder out, List<Result> results, String name, String label, double limit, int divisor) {
        Predicate<Result> at128 =
                r -> r.name().equals(name) && "128".equals(r.params().get("blocks"));
        List<Result> rs = results.stream().filter(at128).toList();
        if (rs.isEmpty()) {
            return;
        }
        Result worst = rs.stream().max((a, b) -> Double.compare(a.ns(), b.ns())).orElseThrow();
        Result best = rs.stream().min((a, b) -> Double.compare(a.ns(), b.ns())).orElseThrow();
        double w = worst.ns() / divisor;
        String unit = divisor == 1 ? " ns" : " ns/block";
        target(
                out,
                label,
                String.format(
                        Locale.ROOT,
                        "worst %s%s (%s), best %s%s (%s)",
                        fixed(w),
                        unit,
                        worst.params().get("policy"),
                        fixed(best.ns() / divisor),
                        unit,
                        best.params().get("policy")),
                w <= limit);
    }

    private static void target(StringBuilder out, String label, String measured, Boolean met) {
        out.append("| ")
                .append(label)
                .append(" | ")
                .append(measured)
                .append(" | ")
                .append(met == null ? "reported" : met ? "**met**" : "**missed**")
                .append(" |\n");
    }

    private static Result find(List<Result> results, String name, Map<String, String> params, List<String> ignore) {
        for (Result r : results) {
            if (!r.name().equals(name)) {
                continue;
            }
            boolean match = true;
            for (Map.Entry<String, String> e : params.entrySet()) {
                if (ignore.contains(e.getKey())) {
                    continue;
                }
                if (!Objects.equals(r.params().get(e.getKey()), e.getValue())) {
                    match = false;
                    break;
                }
            }
            if (match) {
                return r;
            }
        }
        return null;
    }

    private static String time(Result r) {
        return fixed(r.ns()) + " (" + fixed(r.mean()) + " ± " + fixed(r.meanError()) + ")";
    }

    private static String bytes(Result r) {
        return Double.isNaN(r.bytes()) ? "" : String.format(Locale.ROOT, "%.0f", r.bytes());
    }

    /** Three significant digits, no exponent. */
    static String fixed(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "?";
        }
        double a = Math.abs(v);
        String format = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, format, v);
    }
}
