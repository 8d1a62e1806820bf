package io.kvbm.transport.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.StorageTier;
import io.kvbm.router.ResyncRequest;
import io.kvbm.testing.Await;
import io.kvbm.testing.Churn;
import io.kvbm.testing.NatsServerExtension;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestTokens;
import io.kvbm.testing.TierContent;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.test.subscriber.TestSubscriber;

/**
 * The full pipeline over a real {@code nats-server}: managers → {@code KvEventPublisher} → NATS →
 * {@code KvIndexerFeed} → {@code KvIndexer}. The referee is a second, {@code eventsWithSnapshot()} subscription to
 * each manager ({@link TierContent}).
 */
class NatsPipelineTest {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    private static final Duration RETRY = Duration.ofMillis(200);

    @Test
    void routerFirst_twoWorkersChurn_routerViewEqualsEachManagerWithoutResync() throws InterruptedException {
        List<SequenceHash> universe = TestTokens.chain(0, 96);
        try (NatsNodes.Router router = new NatsNodes.Router(NATS.server(), RETRY);
                NatsNodes.Worker w1 = new NatsNodes.Worker(NATS.server(), 1, 32, o -> {});
                NatsNodes.Worker w2 = new NatsNodes.Worker(NATS.server(), 2, 32, o -> {})) {
            Churn c1 = Churn.start(w1.manager, universe, 11, Duration.ofMillis(1));
            Churn c2 = Churn.start(w2.manager, universe, 12, Duration.ofMillis(1));
            Await.until("both workers did 300 operations", () -> c1.ops() >= 300 && c2.ops() >= 300);
            c1.stop();
            c2.stop();

            for (NatsNodes.Worker w : List.of(w1, w2)) {
                awaitExact(router, w);
            }
            assertThat(router.indexer.stats().gaps())
                    .as("NATS lost nothing while up")
                    .isZero();
            assertThat(router.indexer.stats().resyncRequests()).isZero();
            assertThat(w1.pipeline.publishFailures() + w2.pipeline.publishFailures())
                    .isZero();
            OverlapCheck.scoresAgreeWithManagers(router.indexer, List.of(w1.manager, w2.manager), universe);
        }
    }

    @Test
    void routerLate_learnsEachWorkerByAResyncOverNats() throws InterruptedException {
        List<SequenceHash> universe = TestTokens.chain(500, 40);
        try (NatsNodes.Worker w = new NatsNodes.Worker(NATS.server(), 7, 32, o -> {})) {
            TestBlocks.cache(w.manager, universe.subList(0, 20)); // published while nobody listens: lost
            try (NatsNodes.Router router = new NatsNodes.Router(NATS.server(), RETRY)) {
                TestSubscriber<ResyncRequest> requests = TestSubscriber.create();
                router.indexer.resyncRequests().subscribe(requests);

                TestBlocks.cache(w.manager, universe.subList(20, 22)); // the first batch the router sees

                awaitExact(router, w);
                assertThat(requests.getReceivedOnNext())
                        .extracting(ResyncRequest::reason)
                        .startsWith(ResyncRequest.Reason.UNKNOWN);
                assertThat(w.pipeline.snapshotsSent()).isPositive();
                assertThat(router.indexer.hashes(7, StorageTier.G1)).hasSize(22);
                requests.cancel();
            }
        }
    }

    static void awaitExact(NatsNodes.Router router, NatsNodes.Worker w) {
        var truth = TierContent.of(w.manager);
        Await.until(
                "the router's view of worker " + w.id() + " equals its manager's content",
                () -> router.indexer.isSynced(w.id(), StorageTier.G1)
                        && router.indexer.hashes(w.id(), StorageTier.G1).equals(truth),
                Await.TIMEOUT,
                () -> "router " + router.indexer.hashes(w.id(), StorageTier.G1).size() + " hashes, manager "
                        + truth.size() + ", " + router.indexer.stats());
    }
}
