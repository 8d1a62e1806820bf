package io.kvbm.benchmarks;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.LeakDetection;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolBuilder;
import reactor.pool.PooledRef;

/**
 * One block allocated through the reactive API and closed again, on one thread, against reactor-pool's
 * {@code acquire()} + {@code release()} of one pooled object: the JVM's reference for a reactive pool.
 *
 * <p>Both sides subscribe to a {@code Mono} that completes during {@code subscribe} (nothing is free-waiting, nobody
 * blocks) and release what they got, so the figure is the cost of the allocation protocol itself: our drain loop's
 * inline fast path and guard versus reactor-pool's drain loop, borrower and {@code PooledRef}. The manager runs with
 * the default {@link LeakDetection#SAMPLED} leak detection, as users would.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AllocateBenchmark -f 1 -wi 3 -i 5 -w 2s -r 2s}
 * (build first with {@code mvn -B -q -pl benchmarks -am -DskipTests package}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class AllocateBenchmark {

    @Param({"1024"})
    int blocks;

    private BlockManager manager;
    private Mono<MutableBlock> allocateOne;
    private final SyncSink<MutableBlock> blockSink = new SyncSink<>();

    private InstrumentedPool<Object> pool;
    private Mono<PooledRef<Object>> acquireOne;
    private final SyncSink<PooledRef<Object>> refSink = new SyncSink<>();

    @Setup(Level.Trial)
    public void setUp() {
        manager = BlockManager.builder()
                .blockCount(blocks)
                .blockSize(16)
                .leakDetection(LeakDetection.SAMPLED)
                .build();
        allocateOne = manager.allocate();
        Object poolable = new Object();
        pool = PoolBuilder.from(Mono.just(poolable)).sizeBetween(0, blocks).buildPool();
        pool.warmup().block();
        acquireOne = pool.acquire();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close().block();
        pool.dispose();
    }

    /** Ours: {@code allocate()} + {@code close()}. */
    @Benchmark
    public int allocateClose() {
        allocateOne.subscribe(blockSink);
        MutableBlock block = blockSink.take();
        block.close();
        return block.blockId();
    }

    /** Baseline: reactor-pool {@code acquire()} + {@code release()}. */
    @Benchmark
    public Object reactorPoolAcquireRelease() {
        acquireOne.subscribe(refSink);
        PooledRef<Object> ref = refSink.take();
        ref.release().subscribe();
        return ref.poolable();
    }
}
