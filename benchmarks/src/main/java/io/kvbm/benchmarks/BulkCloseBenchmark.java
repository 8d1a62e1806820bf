package io.kvbm.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The close of N registered blocks, each holding the last reference of its block, per eviction policy: kvbm's
 * {@code bulk_drop} bench (N primaries released and inserted into the inactive index). The chain of
 * {@link ChainFixture} is cached; before each invocation (outside the measured region) a match brings all N back as
 * active primaries; the measured operation closes the N handles, which sends every block back through the drain loop
 * into the policy's index: {@code closeEach} with one {@code close()} per handle (what a plain loop does: N drain-loop
 * steps), {@code closeAll} with {@code BlockManager.closeAll} (one step for the batch).
 *
 * <p>Scores are per operation (N closes), in nanoseconds; the target is at most 50 ns per block at N = 128. The
 * per-invocation setup costs JMH two timestamps per operation (tens of nanoseconds): negligible at N = 128, visible at
 * N = 8.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar BulkCloseBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BulkCloseBenchmark {

    @Param({"lineage", "lineageFifo", "lru", "fifo", "multiLru"})
    String policy;

    @Param({"8", "32", "128"})
    int blocks;

    private ChainFixture fixture;
    private BlockCollector collector;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new ChainFixture(policy, blocks);
        fixture.releaseAll();
        collector = new BlockCollector(blocks);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    @Setup(Level.Invocation)
    public void resurrect() {
        fixture.manager.match(fixture.chain).subscribe(collector);
        if (collector.count != blocks) {
            throw new IllegalStateException("expected " + blocks + " hits, got " + collector.count);
        }
    }

    /** {@code close()} on each handle: N drain-loop steps. */
    @Benchmark
    public int closeEach() {
        return collector.closeAll();
    }

    /** {@link io.kvbm.manager.BlockManager#closeAll}: the same releases in one drain-loop step. */
    @Benchmark
    public int closeAll() {
        return collector.closeAll(fixture.manager);
    }
}
