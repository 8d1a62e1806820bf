package io.kvbm.testing;

import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * Keeps a manager busy from {@code parallel()} threads until stopped: every {@code period} one operation registers a
 * random hash of a universe and releases it (so allocations evict and hashes come and go); one in 16 releases with
 * evict-on-release (a REMOVED right away), one in 200 is a {@code resetInactive()} (a CLEARED). It measures each
 * operation from subscription to completion, so a test can prove the manager never stalls (BlockHound, installed in
 * the test JVM, would also fail any operation that blocked its {@code parallel()} thread).
 */
public final class Churn {

    private final AtomicLong ops = new AtomicLong();
    private final AtomicLong maxLatencyNanos = new AtomicLong();
    private final Sinks.Empty<Void> stop = Sinks.empty();
    private final Mono<Void> done;

    private Churn(BlockManager m, List<SequenceHash> universe, long seed, Duration period) {
        SplittableRandom random = new SplittableRandom(seed);
        this.done = Flux.interval(period, Schedulers.parallel())
                .onBackpressureDrop()
                .takeUntilOther(stop.asMono())
                .concatMap(tick -> timed(operation(m, universe, random)), 1)
                .then()
                .cache();
        done.subscribe();
    }

    /** Starts churning {@code m} now; {@link #stop()} ends it. */
    public static Churn start(BlockManager m, List<SequenceHash> universe, long seed, Duration period) {
        return new Churn(m, universe, seed, period);
    }

    /** Operations completed so far. */
    public long ops() {
        return ops.get();
    }

    /** The longest operation so far, from subscription to completion. */
    public Duration maxLatency() {
        return Duration.ofNanos(maxLatencyNanos.get());
    }

    /** Resets {@link #maxLatency()}, to measure one phase. */
    public void resetMaxLatency() {
        maxLatencyNanos.set(0);
    }

    /** Stops after the running operation and waits for it (test thread only). */
    public void stop() {
        stop.tryEmitEmpty();
        done.block(TestBlocks.TIMEOUT);
    }

    private Mono<Void> timed(Mono<Void> operation) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return operation.doOnSuccess(x -> {
                maxLatencyNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                ops.incrementAndGet();
            });
        });
    }

    private static Mono<Void> operation(BlockManager m, List<SequenceHash> universe, SplittableRandom random) {
        int dice = random.nextInt(200);
        if (dice == 0) {
            return m.resetInactive().then();
        }
        SequenceHash hash = universe.get(random.nextInt(universe.size()));
        boolean evict = dice < 13;
        return m.allocate(1)
                .flatMap(blocks -> m.register(blocks.get(0).stage(hash, m.blockSize())))
                .doOnNext(block -> {
                    block.evictOnRelease(evict);
                    block.close();
                })
                .then();
    }
}
