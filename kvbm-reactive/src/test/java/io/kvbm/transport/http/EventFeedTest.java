package io.kvbm.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.event.EventStreamOverflowException;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.testing.TierReplica;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.test.subscriber.TestSubscriber;

/**
 * The feed between a manager and its SSE clients, without HTTP: what a client receives on connecting (snapshot or
 * replay), which frames are resumable, and that a slow client is cut off alone. The manager's event window runs on
 * virtual time, so every batch is closed by the test thread and the feed has applied it when
 * {@code advanceTimeBy} returns.
 */
class EventFeedTest {

    private static final Duration WINDOW = Duration.ofMillis(10);
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();

    @AfterEach
    void disposeTime() {
        time.dispose();
    }

    private BlockManager manager() {
        return TestManagers.create(64, b -> b.eventScheduler(time).eventBatching(1024, WINDOW));
    }

    /** Caches {@code hashes} and closes the batch that stores them. */
    private void cache(BlockManager m, List<SequenceHash> hashes) {
        TestBlocks.cache(m, hashes);
        time.advanceTimeBy(WINDOW);
    }

    private static EventFeed feed(BlockManager m, int ring) {
        EventFeed feed = new EventFeed("G1", m, ring, 2, 16);
        feed.start();
        return feed;
    }

    @Test
    void frames_beforeAnyLiveBatch_snapshotWithoutResumableFrame() {
        // Until a live batch arrives the feed cannot know its mirror is complete, so no snapshot frame may carry an id:
        // a client cut off mid-way must not resume from a half-received state.
        BlockManager m = manager();
        TestBlocks.cache(m, TestTokens.chain(0, 3));
        EventFeed feed = feed(m, 8);

        TestSubscriber<Frame> client = TestSubscriber.create();
        feed.frames(EventFeed.NO_ID).subscribe(client);

        List<Frame> frames = client.getReceivedOnNext();
        assertThat(frames).extracting(f -> f.batch().kind()).first().isEqualTo(EventKind.CLEARED);
        assertThat(frames).noneMatch(Frame::resumable);
        assertThat(new TierReplica().applyAll(batches(frames)).held())
                .containsExactlyInAnyOrderElementsOf(TestTokens.chain(0, 3));
        client.cancel();
        feed.close();
    }

    @Test
    void frames_afterALiveBatch_snapshotInBatchesEndsWithTheOnlyResumableFrame() {
        BlockManager m = manager();
        EventFeed feed = feed(m, 8);
        cache(m, TestTokens.chain(0, 5)); // seq 0 settles the feed

        TestSubscriber<Frame> client = TestSubscriber.create();
        feed.frames(EventFeed.NO_ID).subscribe(client);

        List<Frame> frames = client.getReceivedOnNext();
        assertThat(frames)
                .as("CLEARED, then 5 hashes in STORED batches of at most 2")
                .extracting(f -> f.batch().kind(), f -> f.batch().hashes().size())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(EventKind.CLEARED, 0),
                        org.assertj.core.groups.Tuple.tuple(EventKind.STORED, 2),
                        org.assertj.core.groups.Tuple.tuple(EventKind.STORED, 2),
                        org.assertj.core.groups.Tuple.tuple(EventKind.STORED, 1));
        assertThat(frames).allMatch(f -> f.batch().seq() == 0);
        assertThat(frames).extracting(Frame::resumable).containsExactly(false, false, false, true);
        assertThat(frames.get(1).batch().hashes().get(0).position())
                .as("stored ascending by position")
                .isZero();
        client.cancel();
        feed.close();
    }

    @Test
    void frames_lastEventIdInTheRing_replaysTheFollowingBatchesThenLive() {
        BlockManager m = manager();
        EventFeed feed = feed(m, 8);
        for (int i = 0; i < 4; i++) {
            cache(m, TestTokens.roots(i, 1)); // seq 0..3
        }

        TestSubscriber<Frame> client = TestSubscriber.create();
        feed.frames(1).subscribe(client);
        cache(m, TestTokens.roots(9, 1)); // seq 4, live

        assertThat(client.getReceivedOnNext())
                .extracting(f -> f.batch().seq(), Frame::resumable, Frame::replay)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(2L, true, true),
                        org.assertj.core.groups.Tuple.tuple(3L, true, true),
                        org.assertj.core.groups.Tuple.tuple(4L, true, false));
        client.cancel();
        feed.close();
    }

    @Test
    void frames_lastEventIdOutsideTheRing_snapshotAsOfTheLatestBatch() {
        BlockManager m = manager();
        EventFeed feed = feed(m, 2);
        for (int i = 0; i < 5; i++) {
            cache(m, TestTokens.roots(i, 1)); // seq 0..4; the ring keeps 3 and 4, so 2..4 resume
        }

        for (long stale : new long[] {-1, 0, 1, 5, 99}) {
            TestSubscriber<Frame> client = TestSubscriber.create();
            feed.frames(stale).subscribe(client);
            List<Frame> frames = client.getReceivedOnNext();
            assertThat(frames.get(0).batch().startsSnapshot())
                    .as("Last-Event-ID %d is not resumable", stale)
                    .isTrue();
            assertThat(frames).allMatch(f -> f.batch().seq() == 4);
            assertThat(new TierReplica().applyAll(batches(frames)).held()).hasSize(5);
            client.cancel();
        }
        TestSubscriber<Frame> oldest = TestSubscriber.create();
        feed.frames(2).subscribe(oldest);
        assertThat(oldest.getReceivedOnNext())
                .as("2 is the oldest resumable id: the ring still has 3 and 4")
                .extracting(f -> f.batch().seq())
                .containsExactly(3L, 4L);
        oldest.cancel();
        TestSubscriber<Frame> current = TestSubscriber.create();
        feed.frames(4).subscribe(current);
        assertThat(current.getReceivedOnNext())
                .as("up to date: nothing to replay")
                .isEmpty();
        current.cancel();
        feed.close();
    }

    @Test
    void frames_clientThatDoesNotRead_isCutOffAloneAndCounted() {
        // The snapshot a client receives on connecting does not count against its buffer (16 events here), the live
        // batches do: 17 live events it does not read end it, while a reading client carries on.
        BlockManager m = manager();
        TestBlocks.cache(m, TestTokens.roots(100, 40)); // a snapshot of 40 events, larger than the buffer
        EventFeed feed = feed(m, 64);
        TestSubscriber<Frame> slow = TestSubscriber.builder().initialRequest(0).build();
        TestSubscriber<Frame> reader = TestSubscriber.create();
        feed.frames(EventFeed.NO_ID).subscribe(slow);
        feed.frames(EventFeed.NO_ID).subscribe(reader);

        for (int i = 0; i < 17; i++) {
            cache(m, TestTokens.roots(200 + i, 1));
        }

        assertThat(slow.isTerminatedError()).isTrue();
        assertThat(slow.expectTerminalSignal().getThrowable()).isInstanceOf(EventStreamOverflowException.class);
        assertThat(feed.droppedClients()).isOne();
        assertThat(reader.isTerminated()).isFalse();
        TierReplica replica = new TierReplica().applyAll(batches(reader.getReceivedOnNext()));
        assertThat(replica.held()).hasSize(40 + 17);
        reader.cancel();
        feed.close();
    }

    @Test
    void managerClose_shutdownForwardedThenClientsComplete_laterClientsGetTheShutdownAlone() {
        BlockManager m = manager();
        EventFeed feed = feed(m, 8);
        cache(m, TestTokens.roots(1, 2));
        TestSubscriber<Frame> client = TestSubscriber.create();
        feed.frames(EventFeed.NO_ID).subscribe(client);

        m.close().block(TestBlocks.TIMEOUT);

        assertThat(client.isTerminatedComplete()).isTrue();
        List<EventBatch> received = batches(client.getReceivedOnNext());
        assertThat(received.get(received.size() - 1).kind()).isEqualTo(EventKind.SHUTDOWN);
        TestSubscriber<Frame> late = TestSubscriber.create();
        feed.frames(EventFeed.NO_ID).subscribe(late);
        assertThat(batches(late.getReceivedOnNext()))
                .extracting(EventBatch::kind)
                .containsExactly(EventKind.SHUTDOWN);
        assertThat(late.isTerminatedComplete()).isTrue();
        assertThat(feed.isGone()).isFalse();
    }

    @Test
    void managerClosedBeforeTheFeed_feedIsGoneAndClientsCompleteAtOnce() {
        BlockManager m = manager();
        m.close().block(TestBlocks.TIMEOUT);
        EventFeed feed = feed(m, 8);

        TestSubscriber<Frame> client = TestSubscriber.create();
        feed.frames(EventFeed.NO_ID).subscribe(client);

        assertThat(feed.isGone()).isTrue();
        assertThat(client.isTerminatedComplete()).isTrue();
        assertThat(client.getReceivedOnNext()).isEmpty();
    }

    @Test
    void close_completesClientsWithoutShutdownAndLeavesTheManagerAlone() {
        BlockManager m = manager();
        EventFeed feed = feed(m, 8);
        TestSubscriber<Frame> client = TestSubscriber.create();
        feed.frames(EventFeed.NO_ID).subscribe(client);

        feed.close();
        cache(m, TestTokens.roots(3, 1));

        assertThat(client.isTerminatedComplete()).isTrue();
        assertThat(batches(client.getReceivedOnNext())).noneMatch(b -> b.kind() == EventKind.SHUTDOWN);
        assertThat(m.isClosed()).isFalse();
    }

    @Test
    void mirror_followsStoresRemovalsAndClears() {
        BlockManager m = TestManagers.create(4, b -> b.eventScheduler(time).eventBatching(1024, WINDOW));
        EventFeed feed = feed(m, 8);
        cache(m, TestTokens.roots(1, 4));
        cache(m, TestTokens.roots(2, 2)); // evicts two of the first four
        m.resetInactive().block(TestBlocks.TIMEOUT);
        cache(m, TestTokens.roots(3, 1));

        TestSubscriber<Frame> client = TestSubscriber.create();
        feed.frames(EventFeed.NO_ID).subscribe(client);

        assertThat(new HashSet<>(new TierReplica()
                        .applyAll(batches(client.getReceivedOnNext()))
                        .held()))
                .containsExactlyInAnyOrderElementsOf(TestTokens.roots(3, 1));
        client.cancel();
        feed.close();
    }

    private static List<EventBatch> batches(List<Frame> frames) {
        return frames.stream().map(Frame::batch).toList();
    }
}
