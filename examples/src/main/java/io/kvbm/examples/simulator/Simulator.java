package io.kvbm.examples.simulator;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The trace simulator's command line: replays a Mooncake-format trace (or the built-in workload) against every eviction
 * policy at several capacities through real {@link io.kvbm.manager.BlockManager}s, computes the infinite-cache and
 * Belady bounds, and reports hit rates as a table on stdout, JSON and CSV files and a PNG chart.
 *
 * <p>Run {@code mvn -B -q -pl examples -am -DskipTests package exec:exec} for the built-in workload, and add
 * {@code -Dexec.programArgs="--help"} for the options.
 */
@Command(
        name = "kvbm-simulator",
        mixinStandardHelpOptions = true,
        version = "kvbm-reactive trace simulator 0.1",
        sortOptions = false,
        description = {
            "Replays a Mooncake-format trace (JSON lines: timestamp, input_length, output_length, hash_ids) through"
                    + " real BlockManagers, one per eviction policy and capacity, and reports the hit rate of each"
                    + " with the infinite-cache and Belady bounds. Without --trace it replays its built-in workload.",
            ""
        })
public final class Simulator implements Callable<Integer> {

    @Option(
            names = "--trace",
            paramLabel = "FILE",
            description = "Mooncake-format JSON-lines trace; default: the built-in workload.")
    Path trace;

    @Option(
            names = "--mode",
            paramLabel = "MODE",
            defaultValue = "sequential",
            converter = ModeConverter.class,
            description = "sequential (reference hit rate: one request at a time, file order) or concurrent"
                    + " (arrivals by timestamp, backpressure, preemption). Default: ${DEFAULT-VALUE}.")
    ReplayMode mode;

    @Option(
            names = "--policies",
            split = ",",
            paramLabel = "NAME",
            defaultValue = "all",
            description = "Policies to compare (comma-separated) or 'all': lineage, lineage-fifo, lru, fifo,"
                    + " multi-lru. Default: ${DEFAULT-VALUE}.")
    List<String> policies;

    @Option(
            names = "--capacities",
            split = ",",
            paramLabel = "BLOCKS",
            defaultValue = "1000,2000,5000,10000,20000",
            description = "Cache sizes in blocks (comma-separated). Default: ${DEFAULT-VALUE}.")
    List<Integer> capacities;

    @Option(
            names = "--block-size",
            paramLabel = "TOKENS",
            defaultValue = "512",
            description = "Tokens per block (the Mooncake traces use 512). Default: ${DEFAULT-VALUE}.")
    int blockSize;

    @Option(
            names = "--bounds",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Compute the infinite-cache and Belady bounds (--no-bounds to skip them).")
    boolean bounds;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Where to write results.json, results.csv and hit-rate.png. Default: target/simulator"
                    + " under the examples module.")
    Path out;

    @Option(names = "--threads", paramLabel = "N", description = "Replays run at once. Default: the number of cores.")
    Integer threads;

    @Option(
            names = "--progress",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Show a progress bar on stderr (--no-progress to hide it).")
    boolean progress;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Built-in workload: random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
            names = "--sessions",
            paramLabel = "N",
            description = "Built-in workload: number of conversations. Default: 3000.")
    Integer sessions;

    @Option(
            names = "--write-workload",
            paramLabel = "FILE",
            description = "Also write the built-in workload to FILE (JSON lines, the trace format).")
    Path writeWorkload;

    @Option(
            names = "--speedup",
            defaultValue = "1.0",
            description = "Concurrent mode: divide arrival timestamps by this. Default: ${DEFAULT-VALUE}.")
    double speedup;

    @Option(
            names = "--max-running",
            defaultValue = "64",
            description = "Concurrent mode: most requests running at once. Default: ${DEFAULT-VALUE}.")
    int maxRunning;

    @Option(
            names = "--prefill-ms-per-block",
            defaultValue = "20",
            description = "Concurrent mode: simulated prefill time per computed block. Default: ${DEFAULT-VALUE}.")
    double prefillMillisPerBlock;

    @Option(
            names = "--decode-ms-per-token",
            defaultValue = "20",
            description = "Concurrent mode: simulated time per answer token. Default: ${DEFAULT-VALUE}.")
    double decodeMillisPerToken;

    @Option(
            names = "--preempt-after-ms",
            defaultValue = "50",
            description = "Concurrent mode: a running request that waits this long for a block is preempted."
                    + " Default: ${DEFAULT-VALUE}.")
    double preemptAfterMillis;

    @Option(
            names = "--reserve-per-running",
            paramLabel = "BLOCKS",
            defaultValue = "1",
            description = "Concurrent mode: admit a prompt only when the free pool covers it plus this many blocks per"
                    + " running request (0: admit greedily). Default: ${DEFAULT-VALUE}.")
    int reservePerRunning;

    private final PrintStream stdout;
    private final PolicyRegistry registry;

    /** Creates the command with the built-in policies, printing to {@link System#out}. */
    public Simulator() {
        this(System.out, PolicyRegistry.builtIn());
    }

    /**
     * Creates the command.
     *
     * @param stdout where the tables go
     * @param registry the policies that can be compared
     */
    public Simulator(PrintStream stdout, PolicyRegistry registry) {
        this.stdout = stdout;
        this.registry = registry;
    }

    /**
     * Runs the simulator and exits with its status (0 on success, 1 on a failure, 2 on bad options).
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        System.exit(commandLine(new Simulator()).execute(args));
    }

    /**
     * Returns the command line of a simulator: a bad input (an unreadable or malformed trace, a capacity smaller than
     * a request, an unknown policy) ends with its one-line message and status 1; anything else with its stack trace.
     *
     * @param simulator the command
     * @return the configured command line
     */
    public static CommandLine commandLine(Simulator simulator) {
        CommandLine cli = new CommandLine(simulator);
        cli.setExecutionExceptionHandler((error, command, parseResult) -> {
            if (error instanceof IllegalArgumentException
                    || error instanceof UncheckedIOException
                    || error instanceof IOException) {
                command.getErr().println("error: " + error.getMessage());
                return 1;
            }
            throw error;
        });
        return cli;
    }

    @Override
    public Integer call() throws IOException {
        long start = System.nanoTime();
        Trace input = loadTrace();
        List<String> names = policies.size() == 1 && policies.get(0).equals("all") ? registry.names() : policies;
        int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        SweepPlan plan = new SweepPlan(
                mode,
                names,
                capacities,
                blockSize,
                bounds,
                new ConcurrentConfig(
                        speedup,
                        maxRunning,
                        prefillMillisPerBlock,
                        decodeMillisPerToken,
                        preemptAfterMillis,
                        reservePerRunning),
                threadCount);
        stdout.printf(
                Locale.ROOT,
                "Replaying %s (%,d requests) %s: %d policies x %d capacities%s on %d thread(s)...%n",
                input.name(),
                input.size(),
                mode.name().toLowerCase(Locale.ROOT),
                plan.policies().size(),
                plan.capacities().size(),
                bounds ? " + bounds" : "",
                threadCount);
        stdout.flush();

        SweepResult sweep;
        try (ProgressBar bar = progress ? progressBar(Sweep.progressTotal(input, plan)) : null) {
            LongConsumer step = bar == null ? n -> {} : bar::stepBy;
            sweep = Sweep.run(input, registry, plan, step);
        }
        TableReport.print(sweep, stdout);

        Path dir = outputDirectory();
        Files.createDirectories(dir);
        Path json = dir.resolve("results.json");
        Path csv = dir.resolve("results.csv");
        Path png = dir.resolve("hit-rate.png");
        ResultFiles.writeJson(sweep, json);
        ResultFiles.writeCsv(sweep, csv);
        ChartReport.writePng(sweep, png);
        stdout.printf(Locale.ROOT, "%nWrote %s, %s and %s%n", json, csv, png);
        stdout.printf(Locale.ROOT, "Total %.1f s (including loading the trace).%n", (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private Trace loadTrace() throws IOException {
        if (trace != null) {
            if (writeWorkload != null) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "--write-workload writes the built-in workload: drop --trace");
            }
            return TraceReader.read(trace);
        }
        WorkloadConfig config = WorkloadConfig.defaults().withSeed(seed);
        if (sessions != null) {
            config = config.withSessions(sessions);
        }
        Trace generated = new WorkloadGenerator(config).generate();
        if (writeWorkload != null) {
            TraceWriter.write(generated, writeWorkload);
            stdout.printf(Locale.ROOT, "Wrote the built-in workload to %s%n", writeWorkload.toAbsolutePath());
        }
        return generated;
    }

    private Path outputDirectory() {
        if (out != null) {
            return out.toAbsolutePath().normalize();
        }
        String module = System.getProperty("kvbm.examples.dir");
        Path base = module != null ? Path.of(module) : Path.of("");
        return base.resolve("target").resolve("simulator").toAbsolutePath().normalize();
    }

    private static ProgressBar progressBar(long total) {
        return new ProgressBarBuilder()
                .setTaskName("replay")
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(new ConsoleProgressBarConsumer(System.err, 100))
                .setUnit(" req", 1)
                .showSpeed()
                .build();
    }

    /** Accepts the mode in any case. */
    static final class ModeConverter implements CommandLine.ITypeConverter<ReplayMode> {
        @Override
        public ReplayMode convert(String value) {
            try {
                return ReplayMode.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                List<String> known = new ArrayList<>();
                for (ReplayMode m : ReplayMode.values()) {
                    known.add(m.name().toLowerCase(Locale.ROOT));
                }
                throw new CommandLine.TypeConversionException("unknown mode '" + value + "'; expected one of " + known);
            }
        }
    }
}
