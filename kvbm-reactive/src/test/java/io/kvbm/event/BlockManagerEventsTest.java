package io.kvbm.event;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.test.subscriber.TestSubscriber;

/** The manager's event stream: what is emitted when, batching, seq numbering, shutdown. */
class BlockManagerEventsTest {

    private static final Duration WINDOW = Duration.ofMillis(10);
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();

    @AfterEach
    void disposeTime() {
        time.dispose();
    }

    private BlockManager manager(int blocks, Consumer<BlockManager.Builder> config) {
        return TestManagers.create(blocks, b -> {
            b.instanceId(7).eventScheduler(time).eventBatching(1024, WINDOW);
            config.accept(b);
        });
    }

    @Test
    void register_fiveBlocks_oneStoredBatchSortedAscendingAfterTheWindow() {
        // kvbm-seq-events §6 invariant 18 (and 15): 5 registrations -> one Create batch of 5, ascending
        BlockManager m = manager(100, b -> {});
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        m.events().subscribe(events);
        List<SequenceHash> chain = TestTokens.chain(0, 5);
        List<SequenceHash> shuffled = List.of(chain.get(3), chain.get(0), chain.get(4), chain.get(1), chain.get(2));
        List<ImmutableBlock> blocks = TestBlocks.register(m, shuffled);
        assertThat(events.getReceivedOnNext()).as("still inside the window").isEmpty();

        time.advanceTimeBy(WINDOW);

        assertThat(events.getReceivedOnNext()).hasSize(1);
        EventBatch batch = events.getReceivedOnNext().get(0);
        assertThat(batch.kind()).isEqualTo(EventKind.STORED);
        assertThat(batch.hashes()).containsExactlyElementsOf(chain);
        assertThat(batch.instanceId()).isEqualTo(7);
        assertThat(batch.seq()).isZero();
        assertThat(batch.tier()).isEqualTo(m.tier());
        TestBlocks.closeAll(blocks);
        events.cancel();
    }

    @Test
    void release_intoInactivePool_isNotARemoval_evictionIs() {
        // kvbm-seq-events §6 invariant 19: dropping handles emits nothing; evicting 10 emits 10 removals
        BlockManager m = manager(10, b -> {});
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        m.events().subscribe(events);
        List<SequenceHash> first = TestTokens.roots(1, 10);
        TestBlocks.closeAll(TestBlocks.register(m, first));
        time.advanceTimeBy(WINDOW);
        assertThat(events.getReceivedOnNext()).extracting(EventBatch::kind).containsExactly(EventKind.STORED);

        List<SequenceHash> second = TestTokens.roots(2, 10);
        TestBlocks.closeAll(TestBlocks.register(m, second)); // evicts all of the first set
        time.advanceTimeBy(WINDOW);

        List<EventBatch> all = events.getReceivedOnNext();
        assertThat(all)
                .extracting(EventBatch::kind)
                .containsExactly(EventKind.STORED, EventKind.REMOVED, EventKind.STORED);
        assertThat(all.get(1).hashes()).containsExactlyInAnyOrderElementsOf(first);
        assertThat(all.get(2).hashes()).containsExactlyInAnyOrderElementsOf(second);
        assertThat(all).extracting(EventBatch::seq).containsExactly(0L, 1L, 2L);
        events.cancel();
    }

    @Test
    void duplicateUnderAllow_storedOnceRemovedOnce() {
        BlockManager m = manager(4, b -> {});
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        m.events().subscribe(events);
        SequenceHash h = TestTokens.roots(3, 1).get(0);
        ImmutableBlock primary = TestBlocks.register(m, h);
        ImmutableBlock duplicate = TestBlocks.register(m, h);
        duplicate.close(); // the primary still holds h: no removal
        primary.evictOnRelease(true);
        primary.close(); // the last block with h leaves the tier
        time.advanceTimeBy(WINDOW);

        assertThat(events.getReceivedOnNext())
                .extracting(EventBatch::kind, EventBatch::hashes)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(EventKind.STORED, List.of(h)),
                        org.assertj.core.groups.Tuple.tuple(EventKind.REMOVED, List.of(h)));
        events.cancel();
    }

    @Test
    void resetInactive_emitsCleared() {
        BlockManager m = manager(8, b -> {});
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        m.events().subscribe(events);
        List<SequenceHash> chain = TestTokens.chain(10, 3);
        TestBlocks.closeAll(TestBlocks.register(m, chain));
        assertThat(m.resetInactive().block(TestBlocks.TIMEOUT)).isEqualTo(3);
        time.advanceTimeBy(WINDOW);

        List<EventBatch> all = events.getReceivedOnNext();
        assertThat(all).extracting(EventBatch::kind).containsExactly(EventKind.STORED, EventKind.CLEARED);
        assertThat(all.get(1).hashes()).containsExactly(chain.get(2), chain.get(1), chain.get(0)); // descending
        events.cancel();
    }

    @Test
    void close_flushesThenShutdownThenCompletes() {
        BlockManager m = manager(8, b -> {});
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        m.events().subscribe(events);
        TestBlocks.closeAll(TestBlocks.register(m, TestTokens.roots(4, 2)));
        m.close().block(TestBlocks.TIMEOUT);

        assertThat(events.getReceivedOnNext())
                .extracting(EventBatch::kind)
                .containsExactly(EventKind.STORED, EventKind.CLEARED, EventKind.SHUTDOWN);
        assertThat(events.getReceivedOnNext()).extracting(EventBatch::seq).containsExactly(0L, 1L, 2L);
        assertThat(events.isTerminatedComplete()).isTrue();
        StepVerifier.create(m.events()).expectComplete().verify(TestBlocks.TIMEOUT);
    }

    @Test
    void events_lateSubscriber_seesOnlyLaterBatches() {
        BlockManager m = manager(8, b -> {});
        TestSubscriber<EventBatch> early = TestSubscriber.create();
        m.events().subscribe(early);
        List<ImmutableBlock> first = TestBlocks.register(m, TestTokens.roots(5, 1));
        time.advanceTimeBy(WINDOW);
        TestSubscriber<EventBatch> late = TestSubscriber.create();
        m.events().subscribe(late);
        List<ImmutableBlock> second = TestBlocks.register(m, TestTokens.roots(6, 1));
        time.advanceTimeBy(WINDOW);

        assertThat(early.getReceivedOnNext()).extracting(EventBatch::seq).containsExactly(0L, 1L);
        assertThat(late.getReceivedOnNext()).extracting(EventBatch::seq).containsExactly(1L);
        TestBlocks.closeAll(first);
        TestBlocks.closeAll(second);
        early.cancel();
        late.cancel();
    }

    @Test
    void events_slowSubscriberOverflows_isTerminatedAloneAndManagerUnaffected() {
        BlockManager m = manager(64, b -> b.eventBufferSize(8).eventBatching(4, WINDOW));
        TestSubscriber<EventBatch> slow =
                TestSubscriber.builder().initialRequest(0).build();
        TestSubscriber<EventBatch> fast = TestSubscriber.create();
        m.events().subscribe(slow);
        m.events().subscribe(fast);

        List<ImmutableBlock> blocks = TestBlocks.register(m, TestTokens.roots(7, 12)); // 3 batches of 4

        assertThat(slow.isTerminatedError()).isTrue();
        assertThat(slow.expectTerminalError()).isInstanceOf(EventStreamOverflowException.class);
        assertThat(fast.getReceivedOnNext()).hasSize(3);
        assertThat(m.stats().eventSubscribersDropped()).isEqualTo(1);
        TestBlocks.closeAll(blocks);
        assertThat(m.availableBlocks()).isEqualTo(64);
        fast.cancel();
    }

    @Test
    void powerOfTwoPolicy_emitsOnlyLandmarkPositions() {
        // kvbm-seq-events §6 invariant 18: with PowerOfTwoPolicy all received positions are powers of two
        BlockManager m = manager(40, b -> b.emissionPolicy(EmissionPolicy.powerOfTwo()));
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        m.events().subscribe(events);
        List<ImmutableBlock> blocks = TestBlocks.register(m, TestTokens.chain(0, 40)); // positions 0..39
        time.advanceTimeBy(WINDOW);

        List<Integer> positions = new ArrayList<>();
        events.getReceivedOnNext().forEach(b -> b.hashes().forEach(h -> positions.add(h.position())));
        assertThat(positions).containsExactly(16, 32);
        TestBlocks.closeAll(blocks);
        events.cancel();
    }

    @Test
    void eventsWithSnapshot_restatesContentThenContinuesLive() {
        BlockManager m = manager(8, b -> {});
        TestSubscriber<EventBatch> early = TestSubscriber.create();
        m.events().subscribe(early);
        List<SequenceHash> cached = TestTokens.chain(20, 3);
        TestBlocks.closeAll(TestBlocks.register(m, cached));
        time.advanceTimeBy(WINDOW); // seq 0

        TestSubscriber<EventBatch> late = TestSubscriber.create();
        m.eventsWithSnapshot().subscribe(late);
        List<MutableBlock> evicting =
                m.allocateWithEvictions(8).block(TestBlocks.TIMEOUT).blocks();
        time.advanceTimeBy(WINDOW);

        List<EventBatch> got = late.getReceivedOnNext();
        assertThat(got.get(0).startsSnapshot()).isTrue();
        assertThat(got.get(0).seq()).isZero();
        assertThat(got.get(1).kind()).isEqualTo(EventKind.STORED);
        assertThat(got.get(1).hashes()).containsExactlyElementsOf(cached);
        assertThat(got.get(1).seq()).isZero();
        assertThat(got.get(2).kind()).isEqualTo(EventKind.REMOVED);
        assertThat(got.get(2).seq()).isEqualTo(1);
        TestBlocks.closeAll(evicting);
        early.cancel();
        late.cancel();
    }

    @Test
    void eventsWithSnapshot_snapshotLargerThanTheBuffer_isDeliveredAtTheSubscribersPace() {
        BlockManager m = manager(64, b -> b.eventBufferSize(4).eventBatching(8, WINDOW));
        TestBlocks.closeAll(TestBlocks.register(m, TestTokens.roots(9, 40))); // 40 cached hashes, buffer of 4
        TestSubscriber<EventBatch> slow =
                TestSubscriber.builder().initialRequest(1).build();
        m.eventsWithSnapshot().subscribe(slow);
        assertThat(slow.isTerminated()).as("a snapshot is not an overflow").isFalse();
        slow.request(Long.MAX_VALUE);

        assertThat(slow.getReceivedOnNext()).hasSize(1 + 5); // CLEARED + 40 hashes in batches of 8
        assertThat(slow.getReceivedOnNext().stream()
                        .mapToInt(b -> b.hashes().size())
                        .sum())
                .isEqualTo(40);
        slow.cancel();
    }
}
