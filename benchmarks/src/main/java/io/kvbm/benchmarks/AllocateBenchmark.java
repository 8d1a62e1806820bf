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
 * One block allocated through the reactive API and closed again, against reactor-pool's {@code acquire()} +
 * {@code release()} of one pooled object (the JVM's reference for a reactive pool), on 1 and on 2 threads sharing one
 * manager / one pool of {@code poolSize} entries.
 *
 * <p>Both sides subscribe to a {@code Mono} (no {@code block()}) and release what they got, so the figure is the cost
 * of the allocation protocol itself: our drain loop's inline fast path and guard against reactor-pool's drain loop,
 * borrower and {@code PooledRef}. On 2 threads a subscription that finds the loop busy is served by the other thread,
 * so each thread waits for its own value by spinning on a volatile field ({@link SpinSink}: a JMH thread is not a
 * Reactor thread); 1 thread uses the same harness, where the value is always there at once. The manager runs with the
 * default {@link LeakDetection#SAMPLED} leak detection, as users would. Scores are total operations per microsecond
 * over all threads: the 2-thread score should not fall below the 1-thread one.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AllocateBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}
 * (build first with {@code mvn -B -q -pl benchmarks -am -DskipTests package}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AllocateBenchmark {

    @Param({"1024"})
    int poolSize;

    BlockManager manager;
    Mono<MutableBlock> allocateOne;

    InstrumentedPool<Object> pool;
    Mono<PooledRef<Object>> acquireOne;

    @Setup(Level.Trial)
    public void setUp() {
        manager = BlockManager.builder()
                .blockCount(poolSize)
                .blockSize(16)
                .leakDetection(LeakDetection.SAMPLED)
                .build();
        allocateOne = manager.allocate();
        Object poolable = new Object();
        pool = PoolBuilder.from(Mono.just(poolable)).sizeBetween(0, poolSize).buildPool();
        pool.warmup().block();
        acquireOne = pool.acquire();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close().block();
        pool.dispose();
    }

    /** One thread's subscribers. */
    @State(Scope.Thread)
    public static class Sinks {
        final SpinSink<MutableBlock> block = new SpinSink<>();
        final SpinSink<PooledRef<Object>> ref = new SpinSink<>();
    }

    /** Ours, 1 thread: {@code allocate()} + {@code close()}. */
    @Benchmark
    @Threads(1)
    public int allocateClose(Sinks sinks) {
        return allocateAndClose(sinks);
    }

    /** Ours, 2 threads on one manager. */
    @Benchmark
    @Threads(2)
    public int allocateClose2Threads(Sinks sinks) {
        return allocateAndClose(sinks);
    }

    /** Peer, 1 thread: reactor-pool {@code acquire()} + {@code release()}. */
    @Benchmark
    @Threads(1)
    public Object reactorPoolAcquireRelease(Sinks sinks) {
        return acquireAndRelease(sinks);
    }

    /** Peer, 2 threads on one pool. */
    @Benchmark
    @Threads(2)
    public Object reactorPoolAcquireRelease2Threads(Sinks sinks) {
        return acquireAndRelease(sinks);
    }

    private int allocateAndClose(Sinks sinks) {
        allocateOne.subscribe(sinks.block);
        MutableBlock block = sinks.block.await();
        block.close();
        return block.blockId();
    }

    private Object acquireAndRelease(Sinks sinks) {
        acquireOne.subscribe(sinks.ref);
        PooledRef<Object> ref = sinks.ref.await();
        ref.release().subscribe();
        return ref.poolable();
    }
}
