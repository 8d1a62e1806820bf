package io.kvbm.event;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.Await;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.subscriber.TestSubscriber;

/**
 * {@code eventsWithSnapshot()} subscribed while two threads register and evict: replaying what the subscriber received
 * must reproduce the tier's content exactly, with every removal naming a hash the replay holds (no gap) and every
 * store naming one it does not (no duplicate), and {@code seq} continuing from the snapshot without a hole.
 */
class EventsWithSnapshotRaceTest {

    static LongStream seeds() {
        return LongStream.range(0, 8).map(i -> 0xE7E7L + 31 * i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void eventsWithSnapshot_subscribedDuringChurn_replayEqualsTheTierContent(long seed) {
        BlockManager m = TestManagers.create(32, b -> b.eventBatching(8, Duration.ofMillis(1)));
        List<SequenceHash> universe = TestTokens.roots(seed, 96);
        Flux<Integer> workers = Flux.range(0, 2)
                .flatMap(w -> churn(m, universe, new SplittableRandom(seed * 31 + w), 3_000)
                        .subscribeOn(Schedulers.parallel()));

        TestSubscriber<EventBatch> observer = TestSubscriber.create();
        Mono<Void> late = Mono.delay(Duration.ofMillis(new SplittableRandom(seed).nextInt(1, 20)))
                .doOnNext(x -> m.eventsWithSnapshot().subscribe(observer))
                .then();
        Flux.merge(workers.then(), late).blockLast(TestBlocks.TIMEOUT);
        assertThat(observer.getReceivedOnNext())
                .as("the late subscription happened")
                .isNotEmpty();

        // A second snapshot subscription, after the churn: its attach flushes what is pending to the first, and its
        // snapshot is the authoritative content.
        TestSubscriber<EventBatch> referee = TestSubscriber.create();
        m.eventsWithSnapshot().subscribe(referee);
        // The attach runs in the drain loop, which the 1 ms event tick may own on another thread at this instant:
        // wait for the snapshot (delivered whole, in the same loop step that flushed the first subscriber).
        Await.until(() -> !referee.getReceivedOnNext().isEmpty(), () -> "the referee's snapshot");
        Set<SequenceHash> truth = replay(referee.getReceivedOnNext());
        Set<SequenceHash> replayed = replay(observer.getReceivedOnNext());

        assertThat(replayed).as("seed %d", seed).isEqualTo(truth);
        assertThat(truth).hasSize(m.inactiveBlocks());
        observer.cancel();
        referee.cancel();
    }

    /** Registers random hashes and releases them, so that allocations evict and hashes come and go. */
    private static Flux<Integer> churn(BlockManager m, List<SequenceHash> universe, SplittableRandom random, int ops) {
        return Flux.range(0, ops).concatMap(i -> {
            SequenceHash hash = universe.get(random.nextInt(universe.size()));
            return m.allocate(1)
                    .flatMap(blocks -> m.register(blocks.get(0).stage(hash, m.blockSize())))
                    .doOnNext(ImmutableBlock::close)
                    .thenReturn(i);
        });
    }

    /** Applies batches in order, checking the no-gap / no-duplicate / seq rules as it goes. */
    private static Set<SequenceHash> replay(List<EventBatch> batches) {
        Set<SequenceHash> held = new HashSet<>();
        long expectedSeq = Long.MIN_VALUE;
        for (EventBatch batch : batches) {
            if (batch.startsSnapshot()) {
                held.clear();
                expectedSeq = batch.seq();
                continue;
            }
            if (batch.seq() == expectedSeq) {
                assertThat(batch.kind())
                        .as("only snapshot batches repeat a seq")
                        .isEqualTo(EventKind.STORED);
            } else {
                assertThat(batch.seq()).as("no seq gap").isEqualTo(expectedSeq + 1);
                expectedSeq = batch.seq();
            }
            for (SequenceHash hash : batch.hashes()) {
                if (batch.kind() == EventKind.STORED) {
                    assertThat(held.add(hash))
                            .as("stored %s twice (duplicate)", hash)
                            .isTrue();
                } else if (batch.kind().removes()) {
                    assertThat(held.remove(hash))
                            .as("removed %s never stored (gap)", hash)
                            .isTrue();
                }
            }
        }
        return held;
    }
}
