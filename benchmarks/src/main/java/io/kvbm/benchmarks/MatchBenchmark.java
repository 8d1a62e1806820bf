package io.kvbm.benchmarks;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;
import io.kvbm.manager.BlockManager;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.util.ArrayList;
import java.util.List;
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
 * benches ({@code benches/block_manager.rs}): one lineage chain of N blocks of 4 tokens (tokens 0..4N, salt 1337).
 *
 * <ul>
 *   <li>{@code inactiveHit}: the chain is cached in the inactive pool; each operation resurrects all N blocks and
 *       closes them back into the pool — the eviction policy's find and insert paths (kvbm
 *       {@code match_blocks_inactive_hit}).
 *   <li>{@code activeHit}: the chain is held active; each operation shares N new handles and closes them (kvbm
 *       {@code match_blocks_active_hit}).
 * </ul>
 *
 * Scores are per operation (one whole match + close of N blocks). The registry tracks frequencies (MEDIUM), so hits
 * pay for their touches as they would with {@code multiLru} and {@code lineageLfu}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar MatchBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s}
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

    private BlockManager manager;
    private List<SequenceHash> chain;
    private BlockCollector collector;
    private List<ImmutableBlock> held;

    @Setup(Level.Trial)
    public void setUp() {
        BlockRegistry registry = BlockRegistry.builder()
                .frequencyTracker(FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.MEDIUM))
                .build();
        manager = BlockManager.builder()
                .blockCount(blocks * 2)
                .blockSize(4)
                .registry(registry)
                .eviction(Policies.byName(policy))
                .build();
        int[] tokens = new int[blocks * 4];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        TokenBlockSequence sequence = TokenBlockSequence.of(tokens, 4, 1337);
        chain = sequence.sequenceHashes();
        List<MutableBlock> fresh = manager.allocate(blocks).block();
        List<CompleteBlock> staged = new ArrayList<>();
        List<TokenBlock> tokenBlocks = sequence.blocks();
        for (int i = 0; i < blocks; i++) {
            staged.add(fresh.get(i).complete(tokenBlocks.get(i)));
        }
        held = manager.registerAll(staged).block();
        collector = new BlockCollector(blocks);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (held != null) {
            held.forEach(ImmutableBlock::close);
        }
        manager.close().block();
    }

    /** The chain sits in the inactive pool: resurrect all N, close all N. */
    @State(Scope.Thread)
    public static class Inactive {
        @Setup(Level.Trial)
        public void release(MatchBenchmark bench) {
            bench.held.forEach(ImmutableBlock::close);
            bench.held = null;
        }
    }

    @Benchmark
    public int inactiveHit(Inactive inactive) {
        manager.match(chain).subscribe(collector);
        return collector.closeAll();
    }

    @Benchmark
    public int activeHit() {
        manager.match(chain).subscribe(collector);
        return collector.closeAll();
    }
}
