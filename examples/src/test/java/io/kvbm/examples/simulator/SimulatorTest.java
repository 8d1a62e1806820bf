package io.kvbm.examples.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line end to end, on small inputs: exit codes, the table, and the three result files. */
class SimulatorTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final StringWriter stderr = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Simulator.commandLine(
                new Simulator(new PrintStream(stdout, true, StandardCharsets.UTF_8), PolicyRegistry.builtIn()));
        cli.setErr(new PrintWriter(stderr, true));
        return cli.execute(args);
    }

    private String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    @Test
    void builtInWorkload_sequential_printsTableAndWritesJsonCsvPng() throws IOException {
        int status = run("--no-progress", "--sessions", "120", "--capacities", "300,600", "--out", dir.toString());

        assertThat(status).as(stderr.toString()).isZero();
        assertThat(out())
                .contains("Hit rate = Σ matched blocks / Σ prompt blocks, sequential replay")
                .contains(
                        "lineage-fifo", "multi-lru", "lineage-lfu", "belady (bound)", "infinite (bound)", "block ops/s")
                .contains("Wrote " + dir.resolve("results.json"));

        JsonNode json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
        assertThat(json.get("mode").asText()).isEqualTo("sequential");
        assertThat(json.get("results")).hasSize(8 * 2); // 6 policies + 2 bounds, at 2 capacities
        for (JsonNode r : json.get("results")) {
            assertThat(r.get("hitRate").asDouble()).isBetween(0.0, 1.0);
        }
        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertThat(csv).hasSize(1 + 16);
        assertThat(csv.get(0)).startsWith("name,kind,capacity,requests,requested_blocks,matched_blocks,hit_rate");
        byte[] png = Files.readAllBytes(dir.resolve("hit-rate.png"));
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    }

    @Test
    void traceFile_concurrent_printsQueueingAndPreemptions() throws IOException {
        Path trace = dir.resolve("w.jsonl");
        TraceWriter.write(new WorkloadGenerator(WorkloadConfig.defaults().withSessions(60)).generate(), trace);

        int status = run(
                "--no-progress",
                "--trace",
                trace.toString(),
                "--mode",
                "concurrent",
                "--policies",
                "lru,lineage",
                "--capacities",
                "400",
                "--no-bounds",
                "--speedup",
                "10",
                "--out",
                dir.resolve("out").toString());

        assertThat(status).as(stderr.toString()).isZero();
        assertThat(out())
                .contains("w.jsonl", "concurrent replay", "preemptions", "queue p99")
                .doesNotContain("belady");
        assertThat(dir.resolve("out").resolve("hit-rate.png")).exists();
    }

    @Test
    void writeWorkload_savesTheBuiltInWorkloadAsATrace() {
        Path file = dir.resolve("workload.jsonl");

        int status = run(
                "--no-progress",
                "--sessions",
                "30",
                "--capacities",
                "300",
                "--policies",
                "lru",
                "--write-workload",
                file.toString(),
                "--out",
                dir.toString());

        assertThat(status).isZero();
        assertThat(TraceReader.read(file).records())
                .isEqualTo(new WorkloadGenerator(WorkloadConfig.defaults().withSessions(30))
                        .generate()
                        .records());
    }

    @Test
    void badTraceLine_exitsWithTheLineNumber() throws IOException {
        Path trace = dir.resolve("bad.jsonl");
        Files.writeString(
                trace,
                "{\"timestamp\": 0, \"input_length\": 512, \"output_length\": 1, \"hash_ids\": [1]}\n{\"timestamp\": 1,");

        int status = run("--no-progress", "--trace", trace.toString(), "--out", dir.toString());

        assertThat(status).isEqualTo(1);
        assertThat(stderr.toString())
                .startsWith("error: " + trace + " line 2: not a valid JSON object")
                .doesNotContain("\tat ");
    }

    @Test
    void capacityBelowTheLongestRequest_exitsExplainingIt() {
        int status = run("--no-progress", "--sessions", "30", "--capacities", "5", "--out", dir.toString());

        assertThat(status).isEqualTo(1);
        assertThat(stderr.toString()).startsWith("error: capacity 5 is smaller than the longest request");
    }

    @Test
    void unknownPolicyOrMode_exitsWithUsageError() {
        assertThat(run("--policies", "clock", "--sessions", "30", "--out", dir.toString()))
                .isEqualTo(1);
        assertThat(stderr.toString()).contains("unknown policy \"clock\"");
        assertThat(run("--mode", "parallel")).isEqualTo(2);
        assertThat(stderr.toString()).contains("unknown mode 'parallel'");
    }
}
