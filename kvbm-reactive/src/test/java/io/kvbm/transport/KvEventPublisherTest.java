package io.kvbm.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.event.CacheEvent;
import io.kvbm.event.EmissionPolicy;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventBatcher;
import io.kvbm.event.EventCodec;
import io.kvbm.event.EventKind;
import io.kvbm.manager.BlockManager;
import io.kvbm.router.ResyncRequest;
import io.kvbm.testing.Await;
import io.kvbm.testing.RecordingPublisher;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.testing.TierContent;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.test.subscriber.TestSubscriber;

/** The worker-side pipeline: manager events → codec → publisher, its end, its failures and its resync answers. */
class KvEventPublisherTest {

    private static final Duration WINDOW = Duration.ofMillis(50);
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final InMemoryEventBus bus = InMemoryEventBus.create();
    private final List<KvEventPublisher> started = new ArrayList<>();

    @AfterEach
    void tearDown() {
        started.forEach(KvEventPublisher::dispose);
        time.dispose();
    }

    private BlockManager manager(int blocks, Consumer<BlockManager.Builder> config) {
        return TestManagers.create(blocks, b -> {
            b.instanceId(12345).eventScheduler(time).eventBatching(1024, WINDOW);
            config.accept(b);
        });
    }

    private KvEventPublisher start(KvEventPublisher.Builder builder) {
        KvEventPublisher publisher = builder.start();
        started.add(publisher);
        return publisher;
    }

    /** Decodes every batch published on {@code kvbm.events} of the bus. */
    private TestSubscriber<EventBatch> listen() {
        TestSubscriber<EventBatch> received = TestSubscriber.create();
        bus.subscriber()
                .subscribe(EventSubjects.EVENTS)
                .map(m -> EventCodec.decode(m.payload()))
                .subscribe(received);
        return received;
    }

    // ---------------------------------------------------------------------------------------------------------
    // kvbm's publisher invariants

    @Test
    void start_twoCreatesThenInputCompletes_publishesOneBatchThenShutdownThenFlushes() {
        // kvbm-seq-events §6 invariant 12: two creates then input closed -> exactly 2 messages: a Create batch of 2
        // with instance id 12345, then Shutdown with the same instance id (and a flush after them)
        List<SequenceHash> hashes = TestTokens.chain(0, 2);
        Flux<EventBatch> batches = EventBatcher.builder()
                .window(Duration.ofSeconds(60))
                .build()
                .batch(
                        Flux.just(CacheEvent.stored(hashes.get(0)), CacheEvent.stored(hashes.get(1))),
                        12345,
                        StorageTier.G1);
        RecordingPublisher publisher = new RecordingPublisher();

        KvEventPublisher pipeline = start(
                KvEventPublisher.builder().events(batches).instanceId(12345).publisher(publisher));
        pipeline.whenDone().block(TestBlocks.TIMEOUT);

        List<EventBatch> sent = publisher.batches();
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0).kind()).isEqualTo(EventKind.STORED);
        assertThat(sent.get(0).hashes()).containsExactlyElementsOf(hashes);
        assertThat(sent.get(0).instanceId()).isEqualTo(12345);
        assertThat(sent.get(1).kind()).isEqualTo(EventKind.SHUTDOWN);
        assertThat(sent.get(1).instanceId()).isEqualTo(12345);
        assertThat(sent.get(1).seq()).as("the SHUTDOWN continues the sequence").isEqualTo(1);
        assertThat(publisher.calls()).hasSize(3).last().isSameAs(RecordingPublisher.FLUSH);
        assertThat(publisher.calls().get(0).subject()).isEqualTo("kvbm.events");
        assertThat(pipeline.published()).isEqualTo(2);
    }

    @Test
    void start_missingRequiredFields_rejectedNamingTheField() {
        // kvbm-seq-events §6 invariant 13: a builder without instance id (or publisher, or stream) is an error
        RecordingPublisher publisher = new RecordingPublisher();
        Flux<EventBatch> none = Flux.empty();
        BlockManager m = manager(4, b -> {});
        assertThatThrownBy(() -> KvEventPublisher.builder()
                        .events(none)
                        .publisher(publisher)
                        .start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("instanceId");
        assertThatThrownBy(() ->
                        KvEventPublisher.builder().events(none).instanceId(1).start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("publisher");
        assertThatThrownBy(() -> KvEventPublisher.builder().publisher(publisher).start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("manager or events");
        assertThatThrownBy(() -> KvEventPublisher.builder()
                        .manager(m)
                        .events(none)
                        .publisher(publisher)
                        .start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exclusive");
        assertThatThrownBy(() -> KvEventPublisher.builder()
                        .events(none)
                        .instanceId(1)
                        .publisher(publisher)
                        .resyncSubscriber(bus.subscriber())
                        .start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("resyncSubscriber requires a manager");
        assertThatThrownBy(() -> KvEventPublisher.builder().subjectPrefix("a..b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("subjectPrefix");
    }

    @Test
    void dispose_runningPipeline_completesPromptlyAndSendsNothingMore() {
        // kvbm-seq-events §6 invariant 14: aborting makes join complete promptly; an aborted task sends no
        // Shutdown and no flush
        BlockManager m = manager(16, b -> {});
        RecordingPublisher publisher = new RecordingPublisher();
        KvEventPublisher pipeline = start(KvEventPublisher.builder().manager(m).publisher(publisher));
        TestBlocks.cache(m, TestTokens.roots(1, 2));
        time.advanceTimeBy(WINDOW);
        int before = publisher.calls().size();

        long t0 = System.nanoTime();
        pipeline.dispose();
        pipeline.whenDone().block(Duration.ofSeconds(5));
        long tookMillis = (System.nanoTime() - t0) / 1_000_000;

        TestBlocks.cache(m, TestTokens.roots(2, 2));
        time.advanceTimeBy(WINDOW);
        m.close().block(TestBlocks.TIMEOUT);
        assertThat(tookMillis).as("dispose + join, ms").isLessThan(1000);
        assertThat(pipeline.isDisposed()).isTrue();
        assertThat(publisher.calls())
                .as("nothing after dispose: no batch, no SHUTDOWN, no flush")
                .hasSize(before);
        pipeline.dispose(); // idempotent
    }

    @Test
    void pipeline_fiveRegistrationsThenReleases_oneStoredBatchAscendingThenOneRemovedDescending() {
        // kvbm-seq-events §6 invariant 15: full pipeline, window 50 ms: 5 registrations -> one Create batch of 5
        // ascending; dropping the 5 handles (evict-on-release here: a plain drop caches them) -> one Remove batch of
        // 5 descending
        BlockManager m = manager(100, b -> {});
        TestSubscriber<EventBatch> received = listen();
        start(KvEventPublisher.builder().manager(m).publisher(bus.publisher()).initialSnapshot(false));
        List<SequenceHash> chain = TestTokens.chain(0, 5);
        List<ImmutableBlock> blocks =
                TestBlocks.register(m, List.of(chain.get(4), chain.get(2), chain.get(0), chain.get(3), chain.get(1)));
        time.advanceTimeBy(WINDOW);
        blocks.forEach(b -> b.evictOnRelease(true));
        TestBlocks.closeAll(blocks);
        time.advanceTimeBy(WINDOW);

        List<EventBatch> got = received.getReceivedOnNext();
        assertThat(got).extracting(EventBatch::kind).containsExactly(EventKind.STORED, EventKind.REMOVED);
        assertThat(got.get(0).hashes()).containsExactlyElementsOf(chain);
        List<SequenceHash> descending = new ArrayList<>(chain);
        java.util.Collections.reverse(descending);
        assertThat(got.get(1).hashes()).containsExactlyElementsOf(descending);
        assertThat(got).extracting(EventBatch::seq).containsExactly(0L, 1L);
        received.cancel();
    }

    @Test
    void pipeline_registerDropRegisterWithLongWindow_kindSwitchesFlushNotTime() {
        // kvbm-seq-events §6 invariant 16: window 60 s: register A, drop A, register B -> first batch Create, second
        // Remove, before any window has passed
        BlockManager m = manager(8, b -> b.eventBatching(1024, Duration.ofSeconds(60)));
        TestSubscriber<EventBatch> received = listen();
        start(KvEventPublisher.builder().manager(m).publisher(bus.publisher()).initialSnapshot(false));
        List<SequenceHash> ab = TestTokens.roots(3, 2);
        ImmutableBlock a = TestBlocks.register(m, ab.get(0));
        a.evictOnRelease(true);
        a.close();
        ImmutableBlock b = TestBlocks.register(m, ab.get(1));

        List<EventBatch> got = received.getReceivedOnNext();
        assertThat(got).extracting(EventBatch::kind).containsExactly(EventKind.STORED, EventKind.REMOVED);
        assertThat(got.get(0).hashes()).containsExactly(ab.get(0));
        assertThat(got.get(1).hashes()).containsExactly(ab.get(0));
        b.close();
        received.cancel();
    }

    @Test
    void pipeline_maxBatchSizeThree_fiveRegistrations_firstBatchHasThree() {
        // kvbm-seq-events §6 invariant 17: max size 3, 5 registrations -> the first batch has exactly 3
        BlockManager m = manager(8, b -> b.eventBatching(3, WINDOW));
        TestSubscriber<EventBatch> received = listen();
        start(KvEventPublisher.builder().manager(m).publisher(bus.publisher()).initialSnapshot(false));
        TestBlocks.cache(m, TestTokens.chain(40, 5));

        assertThat(received.getReceivedOnNext()).hasSize(1);
        assertThat(received.getReceivedOnNext().get(0).hashes()).hasSize(3);
        time.advanceTimeBy(WINDOW);
        assertThat(received.getReceivedOnNext())
                .extracting(x -> x.hashes().size())
                .containsExactly(3, 2);
        received.cancel();
    }

    @Test
    void pipeline_realManagerFiveCompletedBlocks_oneStoredBatchOfFiveOnKvbmEvents() {
        // kvbm-seq-events §6 invariant 18: a real manager (100 blocks, block size 4): registering 5 completed blocks
        // yields one Create batch of 5 (ascending) on subject kvbm.events via the in-memory bus
        BlockManager m = manager(100, b -> {});
        TestSubscriber<Message> raw = TestSubscriber.create();
        bus.subscriber().subscribe("kvbm.events").subscribe(raw);
        start(KvEventPublisher.builder().manager(m).publisher(bus.publisher()).initialSnapshot(false));
        List<TokenBlock> tokens = TestTokens.blocks(0, 5, TestManagers.BLOCK_SIZE);
        List<ImmutableBlock> handles = new ArrayList<>();
        for (TokenBlock token : tokens) {
            handles.add(
                    m.register(TestBlocks.allocate(m, 1).get(0).complete(token)).block(TestBlocks.TIMEOUT));
        }
        time.advanceTimeBy(WINDOW);

        assertThat(raw.getReceivedOnNext()).hasSize(1);
        Message message = raw.getReceivedOnNext().get(0);
        assertThat(message.subject()).isEqualTo("kvbm.events");
        EventBatch batch = EventCodec.decode(message.payload());
        assertThat(batch.kind()).isEqualTo(EventKind.STORED);
        assertThat(batch.hashes()).extracting(SequenceHash::position).containsExactly(0, 1, 2, 3, 4);
        TestBlocks.closeAll(handles);
        raw.cancel();
    }

    @Test
    void pipeline_powerOfTwoPolicy_everyReceivedPositionIsAPowerOfTwo() {
        // kvbm-seq-events §6 invariant 18: with PowerOfTwoPolicy all received positions are powers of two
        BlockManager m = manager(40, b -> b.emissionPolicy(EmissionPolicy.powerOfTwo()));
        TestSubscriber<EventBatch> received = listen();
        start(KvEventPublisher.builder().manager(m).publisher(bus.publisher()));
        TestBlocks.cache(m, TestTokens.chain(0, 40));
        time.advanceTimeBy(WINDOW);

        List<Integer> positions = new ArrayList<>();
        received.getReceivedOnNext().forEach(b -> b.hashes().forEach(h -> positions.add(h.position())));
        assertThat(positions).containsExactly(16, 32);
        received.cancel();
    }

    // ---------------------------------------------------------------------------------------------------------
    // beyond kvbm: snapshot at start, the manager's own SHUTDOWN, failures, resync, overflow

    @Test
    void start_managerWithContent_firstMessagesAreItsSnapshot() {
        BlockManager m = manager(8, b -> {});
        List<SequenceHash> held = TestTokens.chain(7, 3);
        TestBlocks.cache(m, held);
        TestSubscriber<EventBatch> received = listen();

        KvEventPublisher pipeline = start(KvEventPublisher.builder().manager(m).publisher(bus.publisher()));

        List<EventBatch> got = received.getReceivedOnNext();
        assertThat(got).hasSize(2);
        assertThat(got.get(0).startsSnapshot()).isTrue();
        assertThat(got.get(0).seq()).as("no batch before: -1").isEqualTo(-1);
        assertThat(got.get(1).hashes()).containsExactlyElementsOf(held);
        assertThat(pipeline.subject()).isEqualTo("kvbm.events");
        received.cancel();
    }

    @Test
    void close_manager_publishesItsOwnShutdownOnceThenFlushes() {
        BlockManager m = manager(8, b -> {});
        RecordingPublisher publisher = new RecordingPublisher();
        KvEventPublisher pipeline =
                start(KvEventPublisher.builder().manager(m).publisher(publisher).initialSnapshot(false));
        TestBlocks.cache(m, TestTokens.roots(9, 2));

        m.close().block(TestBlocks.TIMEOUT);
        pipeline.whenDone().block(TestBlocks.TIMEOUT);

        assertThat(publisher.batches())
                .extracting(EventBatch::kind)
                .containsExactly(EventKind.STORED, EventKind.CLEARED, EventKind.SHUTDOWN);
        assertThat(publisher.batches()).extracting(EventBatch::seq).containsExactly(0L, 1L, 2L);
        assertThat(publisher.calls()).last().isSameAs(RecordingPublisher.FLUSH);
    }

    @Test
    void publish_refusedOnce_countedAndLaterBatchesStillPublished() {
        BlockManager m = manager(8, b -> {});
        RecordingPublisher publisher = new RecordingPublisher();
        KvEventPublisher pipeline =
                start(KvEventPublisher.builder().manager(m).publisher(publisher).initialSnapshot(false));
        publisher.refuse(msg -> EventCodec.decode(msg.payload()).seq() == 0);
        TestBlocks.cache(m, TestTokens.roots(10, 1));
        time.advanceTimeBy(WINDOW);
        TestBlocks.cache(m, TestTokens.roots(11, 1));
        time.advanceTimeBy(WINDOW);

        assertThat(pipeline.publishFailures()).isEqualTo(1);
        assertThat(publisher.batches()).extracting(EventBatch::seq).containsExactly(1L);
        assertThat(pipeline.isDisposed()).isFalse();
    }

    @Test
    void resyncRequest_forThisTier_answeredWithSnapshotThenLiveContinuesTheSequence() {
        BlockManager m = manager(8, b -> {});
        TestSubscriber<EventBatch> received = listen();
        KvEventPublisher pipeline = start(
                KvEventPublisher.builder().manager(m).publisher(bus.publisher()).resyncSubscriber(bus.subscriber()));
        TestBlocks.cache(m, TestTokens.roots(12, 3));
        time.advanceTimeBy(WINDOW); // seq 0

        requestResync(new ResyncRequest(12345, StorageTier.G2, 0, 3, ResyncRequest.Reason.GAP)); // another tier
        requestResync(new ResyncRequest(12345, StorageTier.G1, 0, 3, ResyncRequest.Reason.GAP));
        TestBlocks.cache(m, TestTokens.roots(13, 1));
        time.advanceTimeBy(WINDOW); // seq 1

        List<EventBatch> got = received.getReceivedOnNext();
        // initial snapshot (-1), live seq 0, the requested snapshot at seq 0, live seq 1
        assertThat(got).extracting(EventBatch::seq).containsExactly(-1L, 0L, 0L, 0L, 1L);
        assertThat(got.get(2).startsSnapshot()).isTrue();
        assertThat(TierContent.replay(got)).isEqualTo(TierContent.of(m));
        assertThat(pipeline.snapshotsSent()).isEqualTo(1);
        assertThat(pipeline.resyncSubject()).isEqualTo("kvbm.resync.12345");
        received.cancel();
    }

    @Test
    void resyncRequest_malformed_countedAndIgnored() {
        BlockManager m = manager(8, b -> {});
        KvEventPublisher pipeline = start(
                KvEventPublisher.builder().manager(m).publisher(bus.publisher()).resyncSubscriber(bus.subscriber()));
        bus.publisher().publish("kvbm.resync.12345", new byte[] {1, 2, 3}).block(TestBlocks.TIMEOUT);
        assertThat(pipeline.malformedRequests()).isEqualTo(1);
        assertThat(pipeline.snapshotsSent()).isZero();
    }

    @Test
    void subjectPrefix_appliesToEventsAndResync() {
        BlockManager m = manager(8, b -> {});
        TestSubscriber<Message> raw = TestSubscriber.create();
        bus.subscriber().subscribe("east.kvbm.events").subscribe(raw);
        KvEventPublisher pipeline = start(KvEventPublisher.builder()
                .manager(m)
                .publisher(bus.publisher())
                .resyncSubscriber(bus.subscriber())
                .subjectPrefix("east"));
        assertThat(pipeline.subject()).isEqualTo("east.kvbm.events");
        assertThat(pipeline.resyncSubject()).isEqualTo("east.kvbm.resync.12345");
        assertThat(raw.getReceivedOnNext()).hasSize(1); // the initial snapshot
        raw.cancel();
    }

    @Test
    void overflow_publisherFallsBehindTheManager_resubscribesWithSnapshotAndEndsExact() {
        // The first publish hangs until the gate opens: the pipeline's prefetch (32 batches) fills, then the
        // manager's buffer (8 events), and the subscription overflows. The pipeline resubscribes with a snapshot
        // (after a back-off, repeatedly while the gate stays shut) and, once the gate opens, ends exact.
        BlockManager m = manager(64, b -> b.eventBufferSize(8).eventBatching(1, WINDOW));
        Sinks.Empty<Void> gate = Sinks.empty();
        RecordingPublisher recorder = new RecordingPublisher();
        EventPublisher gated = new EventPublisher() {
            private final java.util.concurrent.atomic.AtomicBoolean first =
                    new java.util.concurrent.atomic.AtomicBoolean(true);

            @Override
            public Mono<Void> publish(String subject, byte[] payload) {
                Mono<Void> record = recorder.publish(subject, payload);
                return first.compareAndSet(true, false) ? gate.asMono().then(record) : record;
            }

            @Override
            public Mono<Void> flush() {
                return recorder.flush();
            }
        };
        KvEventPublisher pipeline =
                start(KvEventPublisher.builder().manager(m).publisher(gated).initialSnapshot(false));
        TestBlocks.cache(m, TestTokens.roots(14, 4)); // seq 0 hangs in publish
        TestBlocks.cache(m, TestTokens.roots(15, 60)); // 60 more batches of one: 32 + 8 fit, then overflow

        // the first overflow is synchronous; the back-off retries (real time) may overflow again while the gate is shut
        assertThat(pipeline.overflowRecoveries()).isPositive();
        gate.tryEmitEmpty();
        Set<SequenceHash> truth = TierContent.of(m);
        Await.until(
                "the resubscribed pipeline has published a snapshot equal to the tier's content",
                () -> TierContent.replay(recorder.batches()).equals(truth),
                Await.TIMEOUT,
                () -> "overflows " + pipeline.overflowRecoveries() + ", published "
                        + recorder.batches().size());
        assertThat(recorder.batches()).anyMatch(EventBatch::startsSnapshot);
    }

    private void requestResync(ResyncRequest request) {
        bus.publisher()
                .publish(EventSubjects.resync(null, request.instanceId()), ResyncCodec.encode(request))
                .block(TestBlocks.TIMEOUT);
    }
}
