package io.kvbm.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EventCodec;
import io.kvbm.manager.BlockManager;
import io.kvbm.router.KvIndexer;
import io.kvbm.router.ResyncRequest;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.testing.TierContent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.test.subscriber.TestSubscriber;

/** The whole protocol in memory: worker pipeline → bus → feed → indexer, and resync requests back. */
class KvIndexerFeedTest {

    private static final Duration WINDOW = Duration.ofMillis(10);
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final InMemoryEventBus bus = InMemoryEventBus.create();
    private final KvIndexer indexer = KvIndexer.builder().scheduler(time).build();
    private final List<Disposable> running = new ArrayList<>();

    @AfterEach
    void tearDown() {
        running.forEach(Disposable::dispose);
        indexer.dispose();
        time.dispose();
    }

    private BlockManager worker(long id) {
        return TestManagers.create(
                16, b -> b.instanceId(id).eventScheduler(time).eventBatching(64, WINDOW));
    }

    private KvIndexerFeed feed() {
        KvIndexerFeed feed = KvIndexerFeed.builder()
                .indexer(indexer)
                .subscriber(bus.subscriber())
                .publisher(bus.publisher())
                .start();
        running.add(feed);
        return feed;
    }

    private KvEventPublisher publish(BlockManager m, EventPublisher through) {
        KvEventPublisher pipeline = KvEventPublisher.builder()
                .manager(m)
                .publisher(through)
                .resyncSubscriber(bus.subscriber())
                .start();
        running.add(pipeline);
        return pipeline;
    }

    /** Passes messages to the bus except the first one {@code drop} accepts, which is lost. */
    private EventPublisher losingOnce(Predicate<Message> drop) {
        AtomicBoolean dropped = new AtomicBoolean();
        return new EventPublisher() {
            @Override
            public Mono<Void> publish(String subject, byte[] payload) {
                return Mono.defer(() -> drop.test(new Message(subject, payload)) && dropped.compareAndSet(false, true)
                        ? Mono.empty()
                        : bus.publisher().publish(subject, payload));
            }

            @Override
            public Mono<Void> flush() {
                return bus.publisher().flush();
            }
        };
    }

    @Test
    void twoWorkers_healthyBus_viewsExactWithoutAnyResync() {
        KvIndexerFeed feed = feed();
        BlockManager w1 = worker(1);
        BlockManager w2 = worker(2);
        publish(w1, bus.publisher());
        publish(w2, bus.publisher());
        TestBlocks.cache(w1, TestTokens.chain(0, 6));
        TestBlocks.cache(w2, TestTokens.chain(0, 3));
        time.advanceTimeBy(WINDOW);

        assertThat(indexer.hashes(1, StorageTier.G1)).isEqualTo(TierContent.of(w1));
        assertThat(indexer.hashes(2, StorageTier.G1)).isEqualTo(TierContent.of(w2));
        assertThat(indexer.findMatches(TestTokens.chain(0, 6)).scores())
                .containsEntry(1L, 6)
                .containsEntry(2L, 3);
        assertThat(indexer.stats().resyncRequests()).isZero();
        assertThat(feed.received()).isEqualTo(4); // two initial snapshots (empty: one CLEARED each), two STORED
    }

    @Test
    void lostBatch_detectedByTheNextOne_resyncedOverTheBusAndExact() {
        feed();
        BlockManager w = worker(1);
        // lose the live batch seq 1 (the removal of an evicted hash): without healing the router would keep it
        KvEventPublisher pipeline =
                publish(w, losingOnce(msg -> EventCodec.decode(msg.payload()).seq() == 1));
        TestBlocks.cache(w, TestTokens.roots(1, 16));
        time.advanceTimeBy(WINDOW); // seq 0: stored 16
        TestBlocks.cache(w, TestTokens.roots(2, 4)); // evicts 4
        time.advanceTimeBy(WINDOW); // seq 1 removed (lost), seq 2 stored
        assertThat(indexer.stats().gaps()).isEqualTo(1);

        assertThat(indexer.isSynced(1, StorageTier.G1)).isTrue();
        assertThat(indexer.hashes(1, StorageTier.G1)).isEqualTo(TierContent.of(w));
        assertThat(pipeline.snapshotsSent()).isEqualTo(1);
    }

    @Test
    void routerStartedAfterTheWorker_learnsItFromTheFirstLiveBatch() {
        BlockManager w = worker(5);
        publish(w, bus.publisher());
        TestBlocks.cache(w, TestTokens.chain(0, 5)); // published before the router listens: lost
        time.advanceTimeBy(WINDOW);
        TestSubscriber<ResyncRequest> requests = TestSubscriber.create();
        indexer.resyncRequests().subscribe(requests);
        feed();

        TestBlocks.cache(w, TestTokens.chain(50, 2));
        time.advanceTimeBy(WINDOW);

        assertThat(requests.getReceivedOnNext())
                .extracting(ResyncRequest::reason)
                .containsExactly(ResyncRequest.Reason.UNKNOWN);
        assertThat(indexer.hashes(5, StorageTier.G1))
                .isEqualTo(TierContent.of(w))
                .hasSize(7);
        assertThat(indexer.isSynced(5, StorageTier.G1)).isTrue();
        requests.cancel();
    }

    @Test
    void workerClosed_itsShutdownRemovesItFromTheRouter() {
        feed();
        BlockManager w = worker(3);
        KvEventPublisher pipeline = publish(w, bus.publisher());
        TestBlocks.cache(w, TestTokens.chain(0, 2));
        time.advanceTimeBy(WINDOW);
        assertThat(indexer.workers()).containsExactly(3L);

        w.close().block(TestBlocks.TIMEOUT);
        pipeline.whenDone().block(TestBlocks.TIMEOUT);

        assertThat(indexer.workers()).isEmpty();
        assertThat(indexer.findMatches(TestTokens.chain(0, 2)).scores()).isEmpty();
    }

    @Test
    void malformedPayload_countedAndSkipped() {
        KvIndexerFeed feed = feed();
        bus.publisher().publish(EventSubjects.EVENTS, new byte[] {1, 2}).block(TestBlocks.TIMEOUT);
        assertThat(feed.malformed()).isEqualTo(1);
        assertThat(feed.received()).isEqualTo(1);
        assertThat(indexer.workers()).isEmpty();
    }

    @Test
    void start_missingRequiredFields_rejectedNamingThem() {
        assertThatThrownBy(() ->
                        KvIndexerFeed.builder().subscriber(bus.subscriber()).start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("indexer");
        assertThatThrownBy(() -> KvIndexerFeed.builder().indexer(indexer).start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("subscriber");
        assertThatThrownBy(() -> KvIndexerFeed.builder().subject(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("subject");
    }

    @Test
    void subjectPrefix_routerAndWorkerShareIt() {
        KvIndexerFeed feed = KvIndexerFeed.builder()
                .indexer(indexer)
                .subscriber(bus.subscriber())
                .publisher(bus.publisher())
                .subjectPrefix("west")
                .start();
        running.add(feed);
        BlockManager w = worker(8);
        running.add(KvEventPublisher.builder()
                .manager(w)
                .publisher(bus.publisher())
                .resyncSubscriber(bus.subscriber())
                .subjectPrefix("west")
                .start());
        TestBlocks.cache(w, TestTokens.chain(0, 2));
        time.advanceTimeBy(WINDOW);

        assertThat(feed.subject()).isEqualTo("west.kvbm.events");
        assertThat(indexer.hashes(8, StorageTier.G1))
                .isEqualTo(TierContent.of(w))
                .hasSize(2);
    }
}
