package io.kvbm.transport.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.StorageTier;
import io.kvbm.router.KvIndexer;
import io.kvbm.testing.Await;
import io.kvbm.testing.Churn;
import io.kvbm.testing.NatsServer;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestTokens;
import io.kvbm.testing.TierContent;
import io.kvbm.tokens.SequenceHash;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fault test: the NATS server is killed (SIGKILL) while a worker keeps registering and evicting, then restarted
 * on the same port.
 *
 * <p>What must hold: the manager never stalls (its operations, on {@code parallel()} threads under BlockHound and
 * from the test thread, keep completing promptly while the server is down: the publisher only enqueues); the
 * publisher loses what it cannot send (counted) and keeps working after the restart; the router notices the
 * {@code seq} gap, asks for a resync over NATS, applies the snapshot, and its final view equals the manager's content
 * exactly.
 *
 * <p>The worker's connection disables jnats's reconnect buffer, so that every batch published during the outage is
 * refused at once and the gap is certain; with the default 8 MiB buffer, jnats would replay them after reconnecting
 * and the router might, or might not (if it reconnects later than the worker), see a gap.
 */
class NatsRestartFaultTest {

    private static final Duration PERIOD = Duration.ofMillis(2);
    private static final Duration OUTAGE = Duration.ofMillis(1500);

    @BeforeAll
    static void requireServer() {
        Assumptions.assumeTrue(NatsServer.binary().isPresent(), "nats-server is not installed: fault test skipped");
    }

    @Test
    void serverKilledAndRestarted_managerNeverStalls_routerDetectsGapResyncsAndEndsExact() throws Exception {
        List<SequenceHash> universe = TestTokens.chain(1000, 120);
        try (NatsServer server = NatsServer.start();
                NatsNodes.Router router = new NatsNodes.Router(server, Duration.ofMillis(200));
                NatsNodes.Worker worker = new NatsNodes.Worker(server, 42, 48, o -> o.reconnectBufferSize(0))) {
            KvIndexer indexer = router.indexer;
            Churn churn = Churn.start(worker.manager, universe, 4242, PERIOD);
            Await.until(
                    "the router follows the churning worker",
                    () -> churn.ops() >= 200
                            && indexer.lastSeq(42, StorageTier.G1).orElse(-1) >= 10);
            assertThat(indexer.stats().gaps())
                    .as("no gap while the server is up")
                    .isZero();

            // ---- outage
            long opsBefore = churn.ops();
            long lostBefore = lost(worker);
            churn.resetMaxLatency();
            long killedAt = System.nanoTime();
            server.kill();
            Await.until(
                    "the worker's client noticed", () -> worker.connection.getStatus() != Connection.Status.CONNECTED);
            Duration testThreadOp = maxDirectOperation(worker, universe, 20);
            Await.until(
                    "the manager keeps working and batches are being lost",
                    () -> churn.ops() >= opsBefore + 200
                            && lost(worker) > lostBefore
                            && System.nanoTime() - killedAt >= OUTAGE.toNanos());
            Duration churnOp = churn.maxLatency();
            long opsDuringOutage = churn.ops() - opsBefore;
            long lostDuringOutage = lost(worker) - lostBefore;
            assertThat(churnOp)
                    .as("longest manager operation while NATS is down")
                    .isLessThan(Duration.ofSeconds(1));
            assertThat(testThreadOp)
                    .as("longest direct operation while NATS is down")
                    .isLessThan(Duration.ofSeconds(1));

            // ---- restart and heal
            server.restart();
            long restartedAt = System.nanoTime();
            Await.until(
                    "both clients reconnected",
                    () -> worker.connection.getStatus() == Connection.Status.CONNECTED
                            && router.connection.getStatus() == Connection.Status.CONNECTED);
            Await.until(
                    "the router detected the gap, asked for a resync and applied the snapshot",
                    () -> indexer.stats().gaps() >= 1
                            && worker.pipeline.snapshotsSent() >= 1
                            && indexer.isSynced(42, StorageTier.G1),
                    Await.TIMEOUT,
                    () -> indexer.stats() + ", snapshots sent " + worker.pipeline.snapshotsSent());
            long healedMillis = (System.nanoTime() - restartedAt) / 1_000_000;
            long opsAtHeal = churn.ops();
            Await.until("the worker goes on after the restart", () -> churn.ops() >= opsAtHeal + 200);
            churn.stop();

            NatsPipelineTest.awaitExact(router, worker);
            int held = TierContent.of(worker.manager).size();
            assertThat(worker.pipeline.published())
                    .as("the publisher keeps working")
                    .isPositive();
            OverlapCheck.scoresAgreeWithManagers(indexer, List.of(worker.manager), universe);
            System.out.printf(
                    "NATS fault test: outage %d ms; %d manager ops during it, longest %.3f ms (parallel) / %.3f ms "
                            + "(test thread); %d batches lost in publish (%d refused by jnats, %d discarded); router: "
                            + "%s; %d snapshot(s) sent; healed %d ms after the restart; final view %d hashes, exact%n",
                    (restartedAt - killedAt) / 1_000_000,
                    opsDuringOutage,
                    churnOp.toNanos() / 1e6,
                    testThreadOp.toNanos() / 1e6,
                    lostDuringOutage,
                    worker.publisher.publishFailures(),
                    worker.publisher.discarded(),
                    indexer.stats(),
                    worker.pipeline.snapshotsSent(),
                    healedMillis,
                    held);
        }
    }

    /** Batches the worker's NATS publisher could not send: refused by jnats or discarded by a full queue. */
    private static long lost(NatsNodes.Worker worker) {
        return worker.publisher.publishFailures() + worker.publisher.discarded();
    }

    /** Registers and releases {@code n} blocks from the test thread; returns the longest of these operations. */
    private static Duration maxDirectOperation(NatsNodes.Worker worker, List<SequenceHash> universe, int n) {
        long max = 0;
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            TestBlocks.register(worker.manager, universe.get(i * 5)).close();
            max = Math.max(max, System.nanoTime() - start);
        }
        return Duration.ofNanos(max);
    }
}
