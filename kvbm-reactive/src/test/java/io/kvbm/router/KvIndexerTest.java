package io.kvbm.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;
import reactor.test.subscriber.TestSubscriber;

/** The router index fed batch by batch: scores, tiers, seq tracking, gaps, snapshots, retries. */
class KvIndexerTest {

    private static final StorageTier G1 = StorageTier.G1;
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final KvIndexer indexer =
            KvIndexer.builder().scheduler(time).resyncRetryInterval(RETRY).build();
    private final TestSubscriber<ResyncRequest> requests = TestSubscriber.create();
    private final List<SequenceHash> chain = TestTokens.chain(0, 8);

    {
        indexer.resyncRequests().subscribe(requests);
    }

    @AfterEach
    void tearDown() {
        indexer.dispose();
        time.dispose();
    }

    private static EventBatch batch(long worker, StorageTier tier, long seq, EventKind kind, List<SequenceHash> h) {
        return new EventBatch(worker, tier, seq, 0, kind, h);
    }

    private static EventBatch stored(long worker, long seq, List<SequenceHash> hashes) {
        return batch(worker, G1, seq, EventKind.STORED, hashes);
    }

    private static EventBatch removed(long worker, long seq, List<SequenceHash> hashes) {
        return batch(worker, G1, seq, EventKind.REMOVED, hashes);
    }

    private static EventBatch snapshotStart(long worker, StorageTier tier, long seq) {
        return batch(worker, tier, seq, EventKind.CLEARED, List.of());
    }

    /** Makes {@code worker}'s G1 known and synced, holding {@code hashes}, at seq {@code seq}. */
    private void sync(long worker, long seq, List<SequenceHash> hashes) {
        indexer.apply(snapshotStart(worker, G1, seq));
        indexer.apply(stored(worker, seq, hashes));
    }

    // ---------------------------------------------------------------------------------------------------------
    // scores

    @Test
    void findMatches_workersHoldingPrefixesOfDifferentLengths_scoreIsTheLongestHeldPrefix() {
        sync(1, -1, chain); // all 8
        sync(2, -1, chain.subList(0, 3)); // 0..2
        sync(3, -1, List.of(chain.get(0), chain.get(1), chain.get(3))); // a hole at 2
        sync(4, -1, chain.subList(1, 8)); // not the first

        OverlapScores scores = indexer.findMatches(chain);

        assertThat(scores.scores()).isEqualTo(Map.of(1L, 8, 2L, 3, 3L, 2));
        assertThat(scores.score(4)).isZero();
        assertThat(scores.queryLength()).isEqualTo(8);
        assertThat(scores.bestWorker()).isEqualTo(OptionalLong.of(1));
        assertThat(indexer.findMatches(List.of()).scores()).isEmpty();
        assertThat(indexer.findMatches(TestTokens.chain(100, 3)).bestWorker()).isEmpty();
    }

    @Test
    void findMatches_sameWorkerOnTwoTiers_tiersKeptApart() {
        indexer.apply(snapshotStart(1, G1, -1));
        indexer.apply(stored(1, -1, chain.subList(0, 2)));
        indexer.apply(snapshotStart(1, StorageTier.G2, -1));
        indexer.apply(batch(1, StorageTier.G2, -1, EventKind.STORED, chain.subList(0, 5)));

        OverlapScores scores = indexer.findMatches(chain);

        assertThat(scores.score(1, G1)).isEqualTo(2);
        assertThat(scores.score(1, StorageTier.G2)).isEqualTo(5);
        assertThat(scores.score(1)).as("best over tiers").isEqualTo(5);
        assertThat(scores.scores(StorageTier.G3)).isEmpty();
        assertThat(indexer.workersHolding(chain.get(3))).containsExactly(1L);
        assertThat(indexer.workersHolding(chain.get(3), G1)).isEmpty();
        assertThat(indexer.workersHolding(chain.get(3), StorageTier.G2)).containsExactly(1L);
    }

    @Test
    void workersHolding_afterStoresAndRemovals_followsTheBatches() {
        sync(1, -1, List.of());
        sync(2, -1, List.of());
        indexer.apply(stored(1, 0, chain.subList(0, 2)));
        indexer.apply(stored(2, 0, chain.subList(0, 1)));
        assertThat(indexer.workersHolding(chain.get(0))).containsExactlyInAnyOrder(1L, 2L);

        indexer.apply(removed(1, 1, List.of(chain.get(0))));
        indexer.apply(batch(2, G1, 1, EventKind.CLEARED, List.of(chain.get(0))));

        assertThat(indexer.workersHolding(chain.get(0))).isEmpty();
        assertThat(indexer.workersHolding(chain.get(1))).containsExactly(1L);
        assertThat(indexer.hashes(1, G1)).containsExactly(chain.get(1));
        assertThat(indexer.workers()).containsExactlyInAnyOrder(1L, 2L);
        assertThat(requests.getReceivedOnNext()).isEmpty();
    }

    @Test
    void apply_removalOfUnknownHashOrRepeatedStore_harmless() {
        sync(1, -1, chain.subList(0, 1));
        indexer.apply(stored(1, 0, chain.subList(0, 1)));
        indexer.apply(removed(1, 1, chain.subList(5, 6)));
        assertThat(indexer.hashes(1, G1)).containsExactly(chain.get(0));
        assertThat(indexer.workersHolding(chain.get(0))).containsExactly(1L);
    }

    // ---------------------------------------------------------------------------------------------------------
    // seq tracking

    @Test
    void apply_seqGap_requestsResyncOnceAndAppliesBestEffort() {
        sync(1, 4, chain.subList(0, 1));
        indexer.apply(stored(1, 5, chain.subList(1, 2)));
        assertThat(indexer.isSynced(1, G1)).isTrue();

        indexer.apply(stored(1, 8, chain.subList(2, 3))); // 6 and 7 lost
        indexer.apply(stored(1, 10, chain.subList(3, 4))); // another hole while waiting: no second request

        assertThat(requests.getReceivedOnNext())
                .containsExactly(new ResyncRequest(1, G1, 5, 8, ResyncRequest.Reason.GAP));
        assertThat(indexer.isSynced(1, G1)).isFalse();
        assertThat(indexer.hashes(1, G1)).containsExactlyInAnyOrderElementsOf(chain.subList(0, 4));
        assertThat(indexer.lastSeq(1, G1)).hasValue(10);
        assertThat(indexer.stats().gaps()).isEqualTo(2);
    }

    @Test
    void apply_snapshotAfterGap_replacesTheViewAndSyncs() {
        sync(1, 0, chain.subList(0, 4));
        indexer.apply(removed(1, 3, chain.subList(0, 1))); // gap: 1, 2 lost (they removed 1..3 and stored 6)
        indexer.apply(snapshotStart(1, G1, 3));
        indexer.apply(stored(1, 3, List.of(chain.get(6))));
        indexer.apply(stored(1, 4, List.of(chain.get(7))));

        assertThat(indexer.isSynced(1, G1)).isTrue();
        assertThat(indexer.hashes(1, G1)).containsExactlyInAnyOrder(chain.get(6), chain.get(7));
        assertThat(indexer.workersHolding(chain.get(1))).isEmpty();
        assertThat(indexer.lastSeq(1, G1)).hasValue(4);
        assertThat(indexer.stats().snapshots()).isEqualTo(2);
    }

    @Test
    void apply_staleOrDuplicateBatch_ignoredAndCounted() {
        sync(1, 3, List.of());
        indexer.apply(stored(1, 4, chain.subList(0, 1)));
        indexer.apply(stored(1, 4, chain.subList(1, 2))); // duplicate seq
        indexer.apply(removed(1, 2, chain.subList(0, 1))); // from before the snapshot

        assertThat(indexer.hashes(1, G1)).containsExactly(chain.get(0));
        assertThat(indexer.stats().staleBatches()).isEqualTo(2);
        assertThat(requests.getReceivedOnNext()).isEmpty();
    }

    @Test
    void apply_liveBatchFromUnknownWorker_requestsResyncAndKeepsTheBatch() {
        indexer.apply(stored(9, 0, chain.subList(0, 2)));

        assertThat(requests.getReceivedOnNext())
                .containsExactly(new ResyncRequest(9, G1, -1, 0, ResyncRequest.Reason.UNKNOWN));
        assertThat(indexer.isSynced(9, G1)).isFalse();
        assertThat(indexer.findMatches(chain).score(9)).isEqualTo(2);

        indexer.apply(snapshotStart(9, G1, 0));
        indexer.apply(stored(9, 0, chain.subList(0, 2)));
        assertThat(indexer.isSynced(9, G1)).isTrue();
    }

    @Test
    void retry_unansweredRequest_repeatedEveryIntervalUntilSnapshot() {
        sync(1, 0, List.of());
        indexer.apply(stored(1, 2, chain.subList(0, 1)));
        assertThat(requests.getReceivedOnNext()).hasSize(1);

        time.advanceTimeBy(RETRY);
        time.advanceTimeBy(RETRY);
        assertThat(requests.getReceivedOnNext())
                .extracting(ResyncRequest::reason)
                .containsExactly(ResyncRequest.Reason.GAP, ResyncRequest.Reason.RETRY, ResyncRequest.Reason.RETRY);
        assertThat(requests.getReceivedOnNext().get(1).lastSeq()).isEqualTo(2);

        indexer.apply(snapshotStart(1, G1, 2));
        time.advanceTimeBy(RETRY.multipliedBy(3));
        assertThat(requests.getReceivedOnNext()).hasSize(3);
        assertThat(indexer.stats().resyncRequests()).isEqualTo(3);
    }

    @Test
    void shutdown_forgetsTheWorkersTier() {
        sync(1, -1, chain.subList(0, 3));
        sync(2, -1, chain.subList(0, 1));
        indexer.apply(batch(1, G1, 0, EventKind.SHUTDOWN, List.of()));

        assertThat(indexer.findMatches(chain).scores()).isEqualTo(Map.of(2L, 1));
        assertThat(indexer.workers()).containsExactly(2L);
        assertThat(indexer.lastSeq(1, G1)).isEmpty();
        assertThat(indexer.isSynced(1, G1)).isFalse();
        assertThat(requests.getReceivedOnNext()).isEmpty();
    }

    @Test
    void removeWorker_forgetsEveryTierOfIt() {
        sync(1, -1, chain.subList(0, 3));
        indexer.apply(snapshotStart(1, StorageTier.G2, -1));
        indexer.apply(batch(1, StorageTier.G2, -1, EventKind.STORED, chain));
        indexer.removeWorker(1);

        assertThat(indexer.workers()).isEmpty();
        assertThat(indexer.workersHolding(chain.get(0))).isEmpty();
        assertThat(indexer.hashes(1, StorageTier.G2)).isEmpty();
    }

    @Test
    void dispose_completesTheRequestStream_viewsStayReadable() {
        sync(1, -1, chain.subList(0, 1));
        indexer.dispose();
        assertThat(requests.isTerminatedComplete()).isTrue();
        assertThat(indexer.isDisposed()).isTrue();
        assertThat(indexer.hashes(1, G1)).containsExactly(chain.get(0));
        indexer.dispose();
    }

    @Test
    void builder_badRetryInterval_rejectedNamingIt() {
        assertThatThrownBy(() -> KvIndexer.builder().resyncRetryInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("resyncRetryInterval");
    }

    @Test
    void overlapScores_equalWhenSameScores() {
        sync(1, -1, chain.subList(0, 2));
        assertThat(indexer.findMatches(chain)).isEqualTo(indexer.findMatches(chain));
        assertThat(indexer.findMatches(chain).hashCode())
                .isEqualTo(indexer.findMatches(chain).hashCode());
        assertThat(indexer.findMatches(chain).toString()).contains("queryLength=8");
    }
}
