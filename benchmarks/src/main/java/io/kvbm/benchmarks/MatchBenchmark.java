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
 * {@code match} of an N-block chain plus the close of every returned handle, in the shapes of kvbm's own Criterion
 * benches ({@code benches/block_manager.rs}, see {@link ChainFixture}); the peer is {@link CaffeineMatchBenchmark},
 * Caffeine's {@code getIfPresent} × N on the same keys, run in the same JMH invocation.
 *
 * <ul>
 *   <li>{@code inactiveHit}: the chain is cached in the inactive pool; each operation resurrects all N blocks and
 *       closes them back into the pool — the eviction policy's find and insert paths (kvbm
 *       {@code match_blocks_inactive_hit}).
 *   <li>{@code activeHit}: the chain is held active; each operation shares N new handles and closes them (kvbm
 *       {@code match_blocks_active_hit}).
 * </ul>
 *
 * The {@code ...CloseAll} variants close the N handles with one {@code BlockManager.closeAll} instead of N
 * {@code close()} calls. Scores are per operation (one whole match + close of N blocks), in nanoseconds. The registry
 * tracks frequencies (MEDIUM), so each hit touches the tracker once, as it would with {@code multiLru} and
 * {@code lineageLfu}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar "MatchBenchmark" -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}
 * (the regex also selects the Caffeine peer).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MatchBenchmark {

    @Param({"lineage", "lineageFifo", "lru", "fifo", "multiLru", "lineageLfu"})
    String policy;

    @Param({"8", "32", "128"})
    int blocks;

    ChainFixture fixture;
    private BlockCollector collector;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new ChainFixture(policy, blocks);
        collector = new BlockCollector(blocks);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    /** The chain sits in the inactive pool: resurrect all N, close all N. */
    @State(Scope.Thread)
    public static class Inactive {
        @Setup(Level.Trial)
        public void release(MatchBenchmark bench) {
            bench.fixture.releaseAll();
        }
    }

    @Benchmark
    public int inactiveHit(Inactive inactive) {
        fixture.manager.match(fixture.chain).subscribe(collector);
        return collector.closeAll();
    }

    @Benchmark
    public int activeHit() {
        fixture.manager.match(fixture.chain).subscribe(collector);
        return collector.closeAll();
    }

    /** {@code inactiveHit}, closing the N handles with one {@code BlockManager.closeAll}. */
    @Benchmark
    public int inactiveHitCloseAll(Inactive inactive) {
        fixture.manager.match(fixture.chain).subscribe(collector);
        return collector.closeAll(fixture.manager);
    }

    /** {@code activeHit}, closing the N handles with one {@code BlockManager.closeAll}. */
    @Benchmark
    public int activeHitCloseAll() {
        fixture.manager.match(fixture.chain).subscribe(collector);
        return collector.closeAll(fixture.manager);
    }
}
