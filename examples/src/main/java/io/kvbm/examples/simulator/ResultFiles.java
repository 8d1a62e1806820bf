package io.kvbm.examples.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Writes a sweep as JSON (with the plan) and CSV (one row per policy or bound and capacity). */
public final class ResultFiles {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String CSV_HEADER = "name,kind,capacity,requests,requested_blocks,matched_blocks,hit_rate,"
            + "block_operations,wall_ms,requests_per_s,block_ops_per_s,completed,rejected,preemptions,"
            + "queue_mean_ms,queue_p50_ms,queue_p99_ms,queue_max_ms,peak_running,makespan_ms";

    private ResultFiles() {}

    /**
     * Writes the JSON document.
     *
     * @param sweep the measurements
     * @param file the target, replaced
     * @throws IOException if writing fails
     */
    public static void writeJson(SweepResult sweep, Path file) throws IOException {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("trace", sweep.traceName());
        root.put("requests", sweep.requests());
        root.put("promptBlocks", sweep.totalBlocks());
        root.put("distinctBlocks", sweep.distinctBlocks());
        root.put("mode", sweep.plan().mode().name().toLowerCase(Locale.ROOT));
        root.put("blockSize", sweep.plan().blockSize());
        root.put("threads", sweep.plan().threads());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("javaVersion", System.getProperty("java.version"));
        root.put("wallMillis", sweep.wallNanos() / 1e6);
        root.set("policies", MAPPER.valueToTree(sweep.plan().policies()));
        root.set("capacities", MAPPER.valueToTree(sweep.plan().capacities()));
        if (sweep.plan().mode() == ReplayMode.CONCURRENT) {
            root.set("concurrentModel", MAPPER.valueToTree(sweep.plan().concurrent()));
        }
        ArrayNode results = root.putArray("results");
        for (ReplayResult r : sweep.results()) {
            ObjectNode o = results.addObject();
            o.put("name", r.name());
            o.put("kind", r.bound() ? "bound" : "policy");
            o.put("capacity", r.capacity());
            o.put("requests", r.requests());
            o.put("requestedBlocks", r.requestedBlocks());
            o.put("matchedBlocks", r.matchedBlocks());
            o.put("hitRate", r.hitRate());
            o.put("blockOperations", r.blockOperations());
            o.put("wallMillis", r.wallNanos() / 1e6);
            o.put("requestsPerSecond", r.requestsPerSecond());
            o.put("blockOperationsPerSecond", r.blockOperationsPerSecond());
            if (r.concurrent() != null) {
                o.set("concurrent", MAPPER.valueToTree(r.concurrent()));
            }
        }
        MAPPER.writeValue(file.toFile(), root);
    }

    /**
     * Writes the CSV table.
     *
     * @param sweep the measurements
     * @param file the target, replaced
     * @throws IOException if writing fails
     */
    public static void writeCsv(SweepResult sweep, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write(CSV_HEADER);
            out.write('\n');
            for (ReplayResult r : sweep.results()) {
                ConcurrentStats s = r.concurrent();
                out.write(String.format(
                        Locale.ROOT,
                        "%s,%s,%d,%d,%d,%d,%.6f,%d,%.3f,%.1f,%.1f,%s%n",
                        r.name(),
                        r.bound() ? "bound" : "policy",
                        r.capacity(),
                        r.requests(),
                        r.requestedBlocks(),
                        r.matchedBlocks(),
                        r.hitRate(),
                        r.blockOperations(),
                        r.wallNanos() / 1e6,
                        r.requestsPerSecond(),
                        r.blockOperationsPerSecond(),
                        s == null
                                ? ",,,,,,,,"
                                : String.format(
                                        Locale.ROOT,
                                        "%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%d,%.3f",
                                        s.completed(),
                                        s.rejected(),
                                        s.preemptions(),
                                        s.meanQueueingMillis(),
                                        s.p50QueueingMillis(),
                                        s.p99QueueingMillis(),
                                        s.maxQueueingMillis(),
                                        s.peakRunning(),
                                        s.makespanMillis())));
            }
        }
    }
}
