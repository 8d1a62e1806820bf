package io.kvbm.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.Await;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.testing.TierReplica;
import io.kvbm.tokens.SequenceHash;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Exceptions;
import reactor.netty.http.client.HttpClient;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.test.subscriber.TestSubscriber;
import reactor.util.retry.Retry;

/**
 * {@code /events} end to end over real HTTP on 127.0.0.1: the live stream, resuming with {@code Last-Event-ID}
 * inside the replay ring, a snapshot when outside it, the client's reconnect, manager and server close, and refusals.
 *
 * <p>The managers' event windows run on virtual time, so the test thread decides when each batch closes (and its
 * {@code seq}); the network part runs on Reactor Netty's event loops, under BlockHound. The test thread waits with
 * {@link Await} (never a sleep on an event loop) and generous timeouts, for a busy 2-core machine.
 */
class KvbmHttpServerEventsTest {

    private static final Duration WINDOW = Duration.ofMillis(10);
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final List<KvbmHttpServer> servers = new ArrayList<>();

    @AfterEach
    void tearDown() {
        servers.forEach(s -> s.close().block(TestBlocks.TIMEOUT));
        time.dispose();
    }

    private BlockManager manager(StorageTier tier) {
        return TestManagers.create(64, b -> b.tier(tier).eventScheduler(time).eventBatching(1024, WINDOW));
    }

    private KvbmHttpServer start(Consumer<KvbmHttpServer.Builder> config) {
        KvbmHttpServer.Builder builder =
                KvbmHttpServer.builder().host("127.0.0.1").port(0);
        config.accept(builder);
        KvbmHttpServer server = builder.build();
        servers.add(server);
        return server.start().block(TestBlocks.TIMEOUT);
    }

    /** Caches {@code hashes} and closes the batch that stores them (one seq). */
    private void batch(BlockManager m, List<SequenceHash> hashes) {
        TestBlocks.cache(m, hashes);
        time.advanceTimeBy(WINDOW);
    }

    private static URI uri(KvbmHttpServer server, String path) {
        return server.uri().resolve(path);
    }

    /** A client that reconnects every 50 ms for 10 s: quick to resume, slow to give up on a busy machine. */
    private static KvbmHttpEventClient client(KvbmHttpServer server, String path) {
        return KvbmHttpEventClient.builder(uri(server, path))
                .reconnect(Retry.fixedDelay(200, Duration.ofMillis(50)))
                .build();
    }

    private static void awaitSeq(TestSubscriber<EventBatch> subscriber, long seq) {
        Await.until(
                () -> subscriber.getReceivedOnNext().stream().anyMatch(b -> b.seq() == seq),
                () -> "seq " + seq + " among " + subscriber.getReceivedOnNext());
    }

    @Test
    void events_snapshotThenLiveBatches_replicaEqualsTheTier() {
        BlockManager m = manager(StorageTier.G1);
        TestBlocks.cache(m, TestTokens.chain(0, 3)); // held before anyone listens: only a snapshot can tell
        KvbmHttpServer server = start(b -> b.events(m));
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        client(server, "/events/G1").events().subscribe(events);
        Await.until(
                () -> new TierReplica()
                                .applyAll(events.getReceivedOnNext())
                                .held()
                                .size()
                        == 3,
                () -> "the snapshot, got " + events.getReceivedOnNext());

        batch(m, TestTokens.chain(100, 2)); // seq 0
        batch(m, TestTokens.roots(7, 1)); // seq 1
        awaitSeq(events, 1);

        List<EventBatch> received = events.getReceivedOnNext();
        assertThat(received.get(0).startsSnapshot()).isTrue();
        TierReplica replica = new TierReplica().applyAll(received);
        List<SequenceHash> expected = new ArrayList<>(TestTokens.chain(0, 3));
        expected.addAll(TestTokens.chain(100, 2));
        expected.addAll(TestTokens.roots(7, 1));
        assertThat(replica.held()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(replica.lastSeq()).isEqualTo(1);
        assertThat(received).allMatch(b -> b.instanceId() == m.instanceId() && b.tier() == StorageTier.G1);
        events.cancel();
    }

    @Test
    void lastEventId_insideTheRing_resumesWithTheNextBatchAndNoSnapshot() {
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m).replayBatches(8));
        for (int i = 0; i < 5; i++) {
            batch(m, TestTokens.roots(i, 1)); // seq 0..4
        }

        List<SseProbe.Received> frames = SseProbe.frames(uri(server, "/events/G1"), Map.of("Last-Event-ID", "2"))
                .take(2)
                .collectList()
                .block(TestBlocks.TIMEOUT);

        assertThat(frames).extracting(SseProbe.Received::id).containsExactly("3", "4");
        assertThat(frames).extracting(f -> f.batch().kind()).containsOnly(EventKind.STORED);
        assertThat(frames.get(0).batch().hashes()).containsExactlyElementsOf(TestTokens.roots(3, 1));
    }

    @Test
    void clientEvents_fromALastEventId_resumesWithTheNextBatch() {
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m));
        for (int i = 0; i < 5; i++) {
            batch(m, TestTokens.roots(i, 1)); // seq 0..4
        }
        TestSubscriber<EventBatch> events = TestSubscriber.create();

        client(server, "/events/G1").events(2).subscribe(events);
        awaitSeq(events, 4);

        assertThat(events.getReceivedOnNext()).extracting(EventBatch::seq).containsExactly(3L, 4L);
        events.cancel();
    }

    @Test
    void lastEventId_olderThanTheRing_snapshotFirstWhoseLastFrameCarriesTheId() {
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m).replayBatches(2).snapshotBatchSize(2));
        for (int i = 0; i < 5; i++) {
            batch(m, TestTokens.roots(i, 1)); // seq 0..4; the ring keeps 3 and 4
        }

        List<SseProbe.Received> frames = SseProbe.frames(uri(server, "/events/G1"), Map.of("Last-Event-ID", "1"))
                .take(4)
                .collectList()
                .block(TestBlocks.TIMEOUT);

        assertThat(frames.get(0).batch().startsSnapshot()).isTrue();
        assertThat(frames).extracting(f -> f.batch().seq()).containsOnly(4L);
        assertThat(frames).extracting(SseProbe.Received::id).containsExactly(null, null, null, "4");
        assertThat(new TierReplica()
                        .applyAll(frames.stream().map(SseProbe.Received::batch).toList())
                        .held())
                .hasSize(5);
    }

    @Test
    void lastEventId_ofAnotherIncarnation_snapshotEvenIfTheSeqIsInTheRing() {
        // A restarted worker numbers its batches from 0 again: a seq is only meaningful with the epoch it came from.
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m));
        batch(m, TestTokens.roots(1, 1));
        batch(m, TestTokens.roots(2, 1));
        URI stream = uri(server, "/events/G1");
        String epoch = SseProbe.headers(stream, Map.of()).get(KvbmHttpServer.EPOCH_HEADER);

        SseProbe.Received same = SseProbe.frames(
                        stream, Map.of("Last-Event-ID", "0", KvbmHttpServer.EPOCH_HEADER, epoch))
                .blockFirst(TestBlocks.TIMEOUT);
        SseProbe.Received other = SseProbe.frames(
                        stream, Map.of("Last-Event-ID", "0", KvbmHttpServer.EPOCH_HEADER, "not-" + epoch))
                .blockFirst(TestBlocks.TIMEOUT);

        assertThat(epoch).isNotBlank();
        assertThat(same.batch().seq()).as("same epoch: resumed").isEqualTo(1);
        assertThat(same.batch().startsSnapshot()).isFalse();
        assertThat(other.batch().startsSnapshot()).as("other epoch: snapshot").isTrue();
    }

    @Test
    void client_connectionsDropped_reconnectsAndResumesFromTheRingWithoutASecondSnapshot() {
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m));
        batch(m, TestTokens.roots(0, 2)); // seq 0: the snapshot the client gets is resumable
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        AtomicInteger requests = new AtomicInteger();
        KvbmHttpEventClient.builder(uri(server, "/events/G1"))
                .httpClient(HttpClient.create().doOnRequest((request, connection) -> requests.incrementAndGet()))
                .reconnect(Retry.fixedDelay(200, Duration.ofMillis(50)))
                .build()
                .events()
                .subscribe(events);
        awaitSeq(events, 0);
        batch(m, TestTokens.roots(1, 2)); // seq 1
        awaitSeq(events, 1);

        server.disconnectClients();
        batch(m, TestTokens.roots(2, 2)); // seq 2 and 3: delivered on the old connection or replayed on the new
        batch(m, TestTokens.roots(3, 2));
        awaitSeq(events, 3);
        server.disconnectClients();
        batch(m, TestTokens.roots(4, 2)); // seq 4
        awaitSeq(events, 4);

        TierReplica replica = new TierReplica().applyAll(events.getReceivedOnNext());
        assertThat(requests.get()).as("reconnected (at least) twice").isGreaterThanOrEqualTo(3);
        assertThat(replica.snapshots()).as("resumed, not restarted").isOne();
        assertThat(replica.held()).hasSize(10);
        assertThat(events.isTerminated()).isFalse();
        events.cancel();
    }

    @Test
    void managerClose_streamEndsWithShutdown_clientCompletes_laterClientsGetTheShutdown() {
        BlockManager m = manager(StorageTier.G2);
        KvbmHttpServer server = start(b -> b.events(m));
        batch(m, TestTokens.roots(5, 3));
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        client(server, "/events/G2").events().subscribe(events);
        awaitSeq(events, 0);

        m.close().block(TestBlocks.TIMEOUT);
        events.block(TestBlocks.TIMEOUT);

        assertThat(events.isTerminatedComplete()).isTrue();
        List<EventBatch> received = events.getReceivedOnNext();
        assertThat(received.get(received.size() - 1).kind()).isEqualTo(EventKind.SHUTDOWN);
        assertThat(new TierReplica().applyAll(received).isShutdown()).isTrue();
        List<EventBatch> late =
                client(server, "/events/G2").events().collectList().block(TestBlocks.TIMEOUT);
        assertThat(late).extracting(EventBatch::kind).containsExactly(EventKind.SHUTDOWN);
    }

    @Test
    void managerClosedBeforeTheServer_gone() {
        BlockManager m = manager(StorageTier.G1);
        m.close().block(TestBlocks.TIMEOUT);
        KvbmHttpServer server = start(b -> b.events(m));
        Await.until(() -> server.feed("G1").isGone(), () -> "the feed to notice");

        SseProbe.Answer answer = SseProbe.get(uri(server, "/events/G1"), Map.of());
        List<EventBatch> events =
                client(server, "/events/G1").events().collectList().block(TestBlocks.TIMEOUT);

        assertThat(answer.status()).isEqualTo(410);
        assertThat(events).as("410 ends the client's stream").isEmpty();
    }

    @Test
    void serverClose_streamEnds_clientReconnectsUntilItsPolicyGivesUp() {
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m));
        batch(m, TestTokens.roots(1, 1));
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        KvbmHttpEventClient.builder(uri(server, "/events/G1"))
                .reconnect(Retry.fixedDelay(3, Duration.ofMillis(20)))
                .build()
                .events()
                .subscribe(events);
        awaitSeq(events, 0);

        server.close().block(TestBlocks.TIMEOUT);
        events.block(TestBlocks.TIMEOUT);

        Throwable error = events.expectTerminalSignal().getThrowable();
        assertThat(Exceptions.isRetryExhausted(error)).as("%s", error).isTrue();
        assertThat(events.getReceivedOnNext())
                .noneMatch(b -> b.kind() == EventKind.SHUTDOWN)
                .as("the manager is still open")
                .isNotEmpty();
        assertThat(m.isClosed()).isFalse();
        assertThat(server.close().block(TestBlocks.TIMEOUT))
                .as("close is idempotent")
                .isNull();
    }

    @Test
    void workerRestarted_clientReconnectsToTheNewIncarnation_snapshotOfTheNewTierNotAResume() {
        // The new worker's seq has passed the client's: by seq alone the client would resume inside the new ring and
        // keep the old worker's hashes. The epoch makes the new server answer with a snapshot.
        BlockManager old = manager(StorageTier.G1);
        KvbmHttpServer first = start(b -> b.events(old));
        int port = first.port();
        batch(old, TestTokens.roots(1, 2)); // seq 0
        TestSubscriber<EventBatch> events = TestSubscriber.create();
        client(first, "/events/G1").events().subscribe(events);
        awaitSeq(events, 0);
        first.close().block(TestBlocks.TIMEOUT);

        BlockManager restarted = manager(StorageTier.G1);
        start(b -> b.events(restarted).port(port));
        for (int i = 0; i < 3; i++) {
            batch(restarted, TestTokens.roots(10 + i, 1)); // seq 0..2: seq 0 is in the new ring
        }
        Await.until(
                () -> new TierReplica().applyAll(events.getReceivedOnNext()).snapshots() == 2
                        && new TierReplica()
                                        .applyAll(events.getReceivedOnNext())
                                        .held()
                                        .size()
                                == 3,
                () -> "a second snapshot, got " + events.getReceivedOnNext());

        TierReplica replica = new TierReplica().applyAll(events.getReceivedOnNext());
        List<SequenceHash> expected = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            expected.addAll(TestTokens.roots(10 + i, 1));
        }
        assertThat(replica.held()).containsExactlyInAnyOrderElementsOf(expected);
        events.cancel();
    }

    @Test
    void managerStreamFailed_requestsRefusedWithTheReason() {
        // A batch heavier than the manager's eventBufferSize fails even a subscriber that reads everything: a
        // configuration error the server reports instead of pretending the stream ended.
        BlockManager m = TestManagers.create(
                64, b -> b.eventScheduler(time).eventBatching(1024, WINDOW).eventBufferSize(2));
        KvbmHttpServer server = start(b -> b.events(m));
        batch(m, TestTokens.roots(1, 3));
        Await.until(() -> server.feed("G1").failure() != null, () -> "the feed to fail");

        SseProbe.Answer answer = SseProbe.get(uri(server, "/events/G1"), Map.of());

        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.body()).contains("failed", "EventStreamOverflowException");
    }

    @Test
    void events_severalManagers_eachByNameAndTheBareRouteRefused() {
        BlockManager g1 = manager(StorageTier.G1);
        BlockManager g2 = manager(StorageTier.G2);
        KvbmHttpServer server = start(b -> b.events(g1).events("host-cache", g2));
        batch(g1, TestTokens.roots(1, 1));
        batch(g2, TestTokens.roots(2, 2));

        EventBatch first1 = lastOfSnapshot(uri(server, "/events/G1"));
        EventBatch first2 = lastOfSnapshot(uri(server, "/events/host-cache"));
        SseProbe.Answer bare = SseProbe.get(uri(server, "/events"), Map.of());
        SseProbe.Answer unknown = SseProbe.get(uri(server, "/events/G3"), Map.of());

        assertThat(first1.tier()).isEqualTo(StorageTier.G1);
        assertThat(first1.hashes()).containsExactlyElementsOf(TestTokens.roots(1, 1));
        assertThat(first2.tier()).isEqualTo(StorageTier.G2);
        assertThat(first2.hashes()).containsExactlyInAnyOrderElementsOf(TestTokens.roots(2, 2));
        assertThat(server.eventStreams()).containsExactly("G1", "host-cache");
        assertThat(bare.status()).isEqualTo(404);
        assertThat(bare.body()).contains("/events/{name}", "G1", "host-cache");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body()).contains("no event stream named 'G3'");
    }

    @Test
    void events_bareRouteWithOneManager_servesIt() {
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m));
        batch(m, TestTokens.roots(4, 1));

        assertThat(lastOfSnapshot(uri(server, "/events")).hashes()).containsExactlyElementsOf(TestTokens.roots(4, 1));
    }

    @Test
    void lastEventId_malformed_badRequestNamingTheValue() {
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m));

        for (String bad : List.of("abc", "-2", "1.5", "9223372036854775808")) {
            SseProbe.Answer answer = SseProbe.get(uri(server, "/events/G1"), Map.of("Last-Event-ID", bad));
            assertThat(answer.status()).as("Last-Event-ID %s", bad).isEqualTo(400);
            assertThat(answer.body()).contains("Last-Event-ID must be", "'" + bad + "'");
        }
        assertThat(SseProbe.get(uri(server, "/events/G1/extra"), Map.of()).status())
                .isEqualTo(404);
        TestSubscriber<EventBatch> refused = TestSubscriber.create();
        KvbmHttpEventClient.create(uri(server, "/events/nope")).events().subscribe(refused);
        refused.block(TestBlocks.TIMEOUT);
        assertThat(refused.expectTerminalSignal().getThrowable())
                .as("a 4xx is not retried")
                .isInstanceOfSatisfying(
                        HttpStatusException.class, e -> assertThat(e.status()).isEqualTo(404));
    }

    @Test
    void heartbeat_commentsOnAQuietStream() {
        BlockManager m = manager(StorageTier.G1);
        KvbmHttpServer server = start(b -> b.events(m).heartbeat(Duration.ofMillis(50)));

        String text = HttpClient.create()
                .get()
                .uri(uri(server, "/events/G1"))
                .responseContent()
                .asString()
                .scan("", String::concat)
                .filter(s -> s.contains("\n:\n"))
                .blockFirst(TestBlocks.TIMEOUT);

        assertThat(text).startsWith("retry: 1000\n\n").contains("event: batch\n");
    }

    /** The snapshot's last frame, through a one-shot request. */
    private static EventBatch lastOfSnapshot(URI stream) {
        return SseProbe.frames(stream, Map.of())
                .filter(f -> f.id() != null)
                .map(SseProbe.Received::batch)
                .blockFirst(TestBlocks.TIMEOUT);
    }
}
