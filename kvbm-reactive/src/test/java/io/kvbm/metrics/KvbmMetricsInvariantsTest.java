package io.kvbm.metrics;

import static io.kvbm.metrics.KvbmMeters.ALLOCATIONS;
import static io.kvbm.metrics.KvbmMeters.ALLOCATIONS_FROM_RESET;
import static io.kvbm.metrics.KvbmMeters.DUPLICATE_BLOCKS;
import static io.kvbm.metrics.KvbmMeters.EVICTIONS;
import static io.kvbm.metrics.KvbmMeters.INACTIVE_POOL_SIZE;
import static io.kvbm.metrics.KvbmMeters.INFLIGHT_IMMUTABLE;
import static io.kvbm.metrics.KvbmMeters.INFLIGHT_MUTABLE;
import static io.kvbm.metrics.KvbmMeters.MATCH_BLOCKS_RETURNED;
import static io.kvbm.metrics.KvbmMeters.MATCH_HASHES_REQUESTED;
import static io.kvbm.metrics.KvbmMeters.REGISTRATIONS;
import static io.kvbm.metrics.KvbmMeters.REGISTRATION_DEDUP;
import static io.kvbm.metrics.KvbmMeters.RESET_POOL_SIZE;
import static io.kvbm.metrics.KvbmMeters.SCAN_BLOCKS_RETURNED;
import static io.kvbm.metrics.KvbmMeters.SCAN_HASHES_REQUESTED;
import static io.kvbm.metrics.KvbmMeters.STAGINGS;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.DuplicationPolicy;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kvbm-core §8 invariants 2–5, 9, 10, 14 and 15 — the ones kvbm's tests check through its metrics — asserted on the
 * Micrometer meters, read as a scrape reads them. Also the lookup counters (invariants 16, 17 and 21) whose ratio is
 * the hit rate, and the inflight-immutable gauge (invariants 18 and 19).
 */
class KvbmMetricsInvariantsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MeterValues meters = new MeterValues(registry, "G1");

    private BlockManager manager(int blocks, Consumer<BlockManager.Builder> config) {
        return TestManagers.create(blocks, b -> {
            config.accept(b);
            b.metrics(KvbmMetrics.binder(registry, Tags.of("worker_id", "7")));
        });
    }

    private BlockManager manager(int blocks) {
        return manager(blocks, b -> {});
    }

    @Test
    void freshManager_resetGaugeIsTotal_everythingElseZero() {
        // kvbm-core §8 invariant 2
        manager(10);

        assertThat(meters.get(RESET_POOL_SIZE)).isEqualTo(10);
        assertThat(meters.get(INACTIVE_POOL_SIZE)).isZero();
        for (KvbmMeters meter : KvbmMeters.values()) {
            if (meter != RESET_POOL_SIZE && meter != KvbmMeters.ALLOCATION_WAIT) {
                assertThat(meters.get(meter)).as(meter.getName()).isZero();
            }
        }
    }

    @Test
    void allocateK_allocationsAndInflightUp_resetGaugeDown() {
        // kvbm-core §8 invariant 3
        BlockManager m = manager(10);

        List<MutableBlock> blocks = TestBlocks.allocate(m, 4);

        assertThat(meters.get(ALLOCATIONS)).isEqualTo(4);
        assertThat(meters.get(ALLOCATIONS_FROM_RESET)).isEqualTo(4);
        assertThat(meters.get(INFLIGHT_MUTABLE)).isEqualTo(4);
        assertThat(meters.get(RESET_POOL_SIZE)).isEqualTo(6);
        TestBlocks.closeAll(blocks);
    }

    @Test
    void closeMutableBlocks_backToTheResetPool_inflightMutableZero() {
        // kvbm-core §8 invariant 4
        BlockManager m = manager(10);
        List<MutableBlock> blocks = TestBlocks.allocate(m, 4);

        TestBlocks.closeAll(blocks);

        assertThat(meters.get(RESET_POOL_SIZE)).isEqualTo(10);
        assertThat(meters.get(INACTIVE_POOL_SIZE))
                .as("never to the inactive pool")
                .isZero();
        assertThat(meters.get(INFLIGHT_MUTABLE)).isZero();
        assertThat(meters.get(ALLOCATIONS)).as("counters never go back").isEqualTo(4);
    }

    @Test
    void closeCompleteBlocks_neverRegistered_backToTheResetPool_stagingsStayCounted() {
        // kvbm-core §8 invariant 5; staging moves inflight-mutable down by one each (invariant 6)
        BlockManager m = manager(10);
        List<CompleteBlock> staged = TestBlocks.stage(m, TestTokens.roots(1, 3));
        assertThat(meters.get(INFLIGHT_MUTABLE)).isZero();
        assertThat(meters.get(STAGINGS)).isEqualTo(3);

        TestBlocks.closeAll(staged);

        assertThat(meters.get(RESET_POOL_SIZE)).isEqualTo(10);
        assertThat(meters.get(INACTIVE_POOL_SIZE)).isZero();
        assertThat(meters.get(STAGINGS)).isEqualTo(3);
        assertThat(meters.get(REGISTRATIONS)).isZero();
    }

    static Stream<EvictionPolicy> cyclePolicies() {
        return Stream.of(EvictionPolicy.lru(), EvictionPolicy.multiLru(), EvictionPolicy.lineage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cyclePolicies")
    void fullCycle_registerReleaseReallocate_countersAndGaugesAsKvbm(EvictionPolicy policy) {
        // kvbm-core §8 invariant 9, LRU, MultiLRU and Lineage
        int n = 8;
        BlockManager m = manager(n, b -> b.eviction(policy));
        TestBlocks.cache(m, TestTokens.chain(0, n));
        assertThat(meters.get(INACTIVE_POOL_SIZE)).isEqualTo(n);
        assertThat(meters.get(RESET_POOL_SIZE)).isZero();
        assertThat(m.availableBlocks()).isEqualTo(n);

        List<MutableBlock> reused = TestBlocks.allocate(m, n);
        assertThat(meters.get(EVICTIONS)).isEqualTo(n);
        assertThat(meters.get(ALLOCATIONS)).isEqualTo(2L * n);
        assertThat(meters.get(ALLOCATIONS_FROM_RESET)).isEqualTo(n);
        TestBlocks.closeAll(reused);
        assertThat(meters.get(RESET_POOL_SIZE)).isEqualTo(n);
        assertThat(meters.get(INACTIVE_POOL_SIZE)).isZero();

        // the double cycle: a second generation registered from the reset pool
        TestBlocks.cache(m, TestTokens.chain(1_000, n));
        assertThat(meters.get(ALLOCATIONS)).isEqualTo(3L * n);
        assertThat(meters.get(REGISTRATIONS)).isEqualTo(2L * n);
        assertThat(meters.get(EVICTIONS)).isEqualTo(n);
        assertThat(meters.get(INACTIVE_POOL_SIZE)).isEqualTo(n);
    }

    @Test
    void mixedReturnPaths_mutableStagedRegistered_resetSixteenInactiveEight() {
        // kvbm-core §8 invariant 10
        BlockManager m = manager(24);
        List<MutableBlock> mutable = TestBlocks.allocate(m, 8);
        List<CompleteBlock> staged = TestBlocks.stage(m, TestTokens.roots(1, 8));
        List<ImmutableBlock> registered = TestBlocks.register(m, TestTokens.roots(2, 8));

        TestBlocks.closeAll(mutable);
        TestBlocks.closeAll(staged);
        TestBlocks.closeAll(registered);

        assertThat(meters.get(RESET_POOL_SIZE)).isEqualTo(16);
        assertThat(meters.get(INACTIVE_POOL_SIZE)).isEqualTo(8);
        assertThat(meters.get(STAGINGS)).isEqualTo(16);
        assertThat(meters.get(REGISTRATIONS)).isEqualTo(8);
        assertThat(meters.get(INFLIGHT_MUTABLE)).isZero();
        assertThat(m.availableBlocks()).isEqualTo(24);
    }

    @Test
    void allowPolicy_sameHashTwice_oneDuplicate() {
        // kvbm-core §8 invariant 14
        BlockManager m = manager(4, b -> b.duplicationPolicy(DuplicationPolicy.ALLOW));
        SequenceHash h = TestTokens.roots(3, 1).get(0);
        ImmutableBlock first = TestBlocks.register(m, h);
        ImmutableBlock second = TestBlocks.register(m, h);

        assertThat(second.blockId()).isNotEqualTo(first.blockId());
        assertThat(meters.get(DUPLICATE_BLOCKS)).isOne();
        assertThat(meters.get(REGISTRATIONS)).isEqualTo(2);
        assertThat(meters.get(REGISTRATION_DEDUP)).isZero();
        assertThat(meters.get(INFLIGHT_IMMUTABLE)).isEqualTo(2);
        second.close();
        first.close();
    }

    @Test
    void rejectPolicy_sameHashTwice_dedupOnce_rejectedSlotBackInResetAtOnce() {
        // kvbm-core §8 invariant 15
        BlockManager m = manager(4, b -> b.duplicationPolicy(DuplicationPolicy.REJECT));
        SequenceHash h = TestTokens.roots(4, 1).get(0);
        ImmutableBlock first = TestBlocks.register(m, h);
        CompleteBlock again = TestBlocks.stage(m, h);
        int rejectedSlot = again.blockId();
        ImmutableBlock answer = m.register(again).block(TestBlocks.TIMEOUT);

        assertThat(answer.blockId()).isEqualTo(first.blockId());
        assertThat(meters.get(REGISTRATION_DEDUP)).isOne();
        assertThat(meters.get(REGISTRATIONS)).isEqualTo(2);
        assertThat(meters.get(DUPLICATE_BLOCKS)).isZero();
        assertThat(meters.get(RESET_POOL_SIZE))
                .as("the rejected slot is free at once")
                .isEqualTo(3);
        List<MutableBlock> all = TestBlocks.allocate(m, 3);
        assertThat(all).extracting(MutableBlock::blockId).contains(rejectedSlot);
        TestBlocks.closeAll(all);
        answer.close();
        first.close();
    }

    @Test
    void matchAndScan_requestedAndReturnedCounters_theHitRate() {
        // kvbm-core §8 invariants 16, 17 and 21: match stops at the first miss, scan does not; empty inputs add 0
        BlockManager m = manager(8);
        List<SequenceHash> chain = TestTokens.chain(0, 3);
        TestBlocks.cache(m, List.of(chain.get(0), chain.get(2)));
        List<SequenceHash> probe = new ArrayList<>(chain);

        TestBlocks.closeAll(TestBlocks.match(m, probe)); // [h0, miss, h2] -> h0 only
        TestBlocks.closeAll(TestBlocks.match(m, List.of()));
        Map<SequenceHash, ImmutableBlock> scanned = m.scan(probe).block(TestBlocks.TIMEOUT);
        TestBlocks.closeAll(scanned.values());

        assertThat(meters.get(MATCH_HASHES_REQUESTED)).isEqualTo(3);
        assertThat(meters.get(MATCH_BLOCKS_RETURNED)).isEqualTo(1);
        assertThat(meters.get(SCAN_HASHES_REQUESTED)).isEqualTo(3);
        assertThat(meters.get(SCAN_BLOCKS_RETURNED)).isEqualTo(2);
    }

    @Test
    void matchActiveThenReleaseLast_inflightImmutableFollowsHandles_inactiveGaugeUp() {
        // kvbm-core §8 invariants 18 and 19
        BlockManager m = manager(4);
        SequenceHash h = TestTokens.roots(5, 1).get(0);
        ImmutableBlock held = TestBlocks.register(m, h);
        List<ImmutableBlock> hit = TestBlocks.match(m, List.of(h));
        assertThat(meters.get(INFLIGHT_IMMUTABLE)).isEqualTo(2);
        assertThat(meters.get(INACTIVE_POOL_SIZE)).isZero();

        TestBlocks.closeAll(hit);
        held.close();

        assertThat(meters.get(INFLIGHT_IMMUTABLE)).isZero();
        assertThat(meters.get(INACTIVE_POOL_SIZE)).isOne();
    }
}
