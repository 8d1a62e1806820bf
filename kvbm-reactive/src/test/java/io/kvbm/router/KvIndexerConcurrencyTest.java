package io.kvbm.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.testing.TierContent;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * Three workers churn on {@code parallel()} threads (so BlockHound checks every path) while their event streams feed
 * one indexer and readers query it from other {@code parallel()} threads; when the churn stops, the indexer's view of
 * every worker equals the worker's content, with no gap seen.
 */
class KvIndexerConcurrencyTest {

    static LongStream seeds() {
        return LongStream.range(0, 4).map(i -> 0x1DE7L + 17 * i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void apply_manyWorkersFromParallelThreadsWhileReading_endsExactWithoutGaps(long seed) {
        KvIndexer indexer = KvIndexer.create();
        List<SequenceHash> universe = TestTokens.chain((int) (seed % 1000), 48);
        List<BlockManager> workers = new ArrayList<>();
        List<Disposable> feeds = new ArrayList<>();
        for (int w = 1; w <= 3; w++) {
            int id = w;
            BlockManager m = TestManagers.create(24, b -> b.instanceId(id).eventBatching(8, Duration.ofMillis(1)));
            workers.add(m);
            feeds.add(indexer.consume(m.eventsWithSnapshot()));
        }
        AtomicLong reads = new AtomicLong();
        Disposable readers = Flux.range(0, 2)
                .flatMap(r -> Flux.interval(Duration.ofMillis(1), Schedulers.parallel())
                        .doOnNext(t -> {
                            indexer.findMatches(universe);
                            indexer.workersHolding(universe.get(0));
                            reads.incrementAndGet();
                        }))
                .subscribe();

        Flux.range(0, workers.size())
                .flatMap(w -> churn(workers.get(w), universe, new SplittableRandom(seed + w), 1_500)
                        .subscribeOn(Schedulers.parallel()))
                .blockLast(TestBlocks.TIMEOUT);
        readers.dispose();

        for (BlockManager m : workers) {
            // a final snapshot subscription closes each open batch; the indexer applies it through its live stream
            assertThat(eventuallyEqual(indexer, m))
                    .as("view of worker %d", m.instanceId())
                    .isTrue();
            assertThat(indexer.isSynced(m.instanceId(), StorageTier.G1)).isTrue();
        }
        assertThat(indexer.stats().gaps()).isZero();
        assertThat(indexer.stats().resyncRequests()).isZero();
        assertThat(reads.get()).isPositive();
        feeds.forEach(Disposable::dispose);
        indexer.dispose();
    }

    /** Registers random hashes of the universe and caches them, so that allocations evict. */
    private static Flux<Integer> churn(BlockManager m, List<SequenceHash> universe, SplittableRandom random, int ops) {
        return Flux.range(0, ops).concatMap(i -> {
            SequenceHash hash = universe.get(random.nextInt(universe.size()));
            return m.allocate(1)
                    .flatMap(blocks -> m.register(blocks.get(0).stage(hash, m.blockSize())))
                    .doOnNext(ImmutableBlock::close)
                    .thenReturn(i);
        });
    }

    /** Waits (test thread) until the indexer's view of {@code m} equals its content; the last batch is in flight. */
    private static boolean eventuallyEqual(KvIndexer indexer, BlockManager m) {
        long deadline = System.nanoTime() + TestBlocks.TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (indexer.hashes(m.instanceId(), StorageTier.G1).equals(TierContent.of(m))) {
                return true;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
