package io.kvbm.manager;

import static io.kvbm.manager.StoreAudit.assertStates;
import static io.kvbm.manager.StoreAudit.counts;
import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.ids;
import static io.kvbm.testing.TestTokens.chain;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.block.WeakBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.registry.RegistrationHandle;
import io.kvbm.testing.CountingFrequencyTracker;
import io.kvbm.testing.EvictionPolicies;
import io.kvbm.testing.PolicyMatrix;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.test.StepVerifier;

/**
 * kvbm-core §8 invariants 17–23, 28, 43 and 44: lookups, frequency touches, weak blocks, draining the cache and
 * evict-on-release, plus the eviction order each policy promises at manager level.
 */
class BlockManagerLookupInvariantsTest {

    @Nested
    class Match {

        @PolicyMatrix
        void match_lastHashMissing_returnsLongestPrefixInInputOrder(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 17
            BlockManager m = TestManagers.create(8, duplication, eviction);
            List<SequenceHash> hashes = chain(0, 3);
            List<ImmutableBlock> registered = TestBlocks.register(m, hashes.subList(0, 2));

            List<ImmutableBlock> matched = TestBlocks.match(m, hashes);

            assertThat(matched)
                    .extracting(ImmutableBlock::sequenceHash)
                    .containsExactlyElementsOf(hashes.subList(0, 2));
            assertThat(ids(matched)).isEqualTo(ids(registered));
            assertThat(m.stats().matchHashesRequested()).isEqualTo(3);
            assertThat(m.stats().matchBlocksReturned()).isEqualTo(2);
            TestBlocks.closeAll(matched);
            TestBlocks.closeAll(registered);
        }

        @PolicyMatrix
        void match_missInTheMiddle_stopsThereAndLeavesLaterHitsCached(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 17
            BlockManager m = TestManagers.create(8, duplication, eviction);
            List<SequenceHash> hashes = chain(0, 3);
            TestBlocks.cache(m, List.of(hashes.get(0), hashes.get(2)));

            List<ImmutableBlock> matched = TestBlocks.match(m, hashes);

            assertThat(matched).extracting(ImmutableBlock::sequenceHash).containsExactly(hashes.get(0));
            assertThat(m.inactiveBlocks()).as("h2 was not touched").isEqualTo(1);
            assertThat(m.stats().matchBlocksReturned()).isEqualTo(1);
            TestBlocks.closeAll(matched);
        }

        @PolicyMatrix
        void match_activeBlock_sharesItAndLeavesAvailableUnchanged(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 18
            BlockManager m = TestManagers.create(4, duplication, eviction);
            SequenceHash h = chain(0, 1).get(0);
            ImmutableBlock original = TestBlocks.register(m, h);
            int available = m.availableBlocks();

            List<ImmutableBlock> matched = TestBlocks.match(m, List.of(h));

            assertThat(ids(matched)).containsExactly(original.blockId());
            assertThat(m.stats().inflightImmutable()).isEqualTo(2);
            assertThat(m.availableBlocks()).isEqualTo(available);
            assertThat(original.useCount()).isEqualTo(2);
            TestBlocks.closeAll(matched);
            assertThat(m.stats().inflightImmutable()).isEqualTo(1);
            assertStates(m, counts(3, 0, 0, 1, 0, 0));
            original.close();
        }

        @PolicyMatrix
        void close_lastHandleOfPrimary_movesToInactiveAndStaysPresent(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 19
            BlockManager m = TestManagers.create(4, duplication, eviction);
            SequenceHash h = chain(0, 1).get(0);
            ImmutableBlock handle = TestBlocks.register(m, h);
            ImmutableBlock retained = handle.retain();
            handle.close();
            assertThat(m.inactiveBlocks()).as("another handle is still open").isZero();
            int available = m.availableBlocks();

            retained.close();

            assertThat(m.availableBlocks()).isEqualTo(available + 1);
            assertThat(m.stats().inactivePoolSize()).isEqualTo(1);
            assertThat(m.stats().inflightImmutable()).isZero();
            assertThat(m.registry().isPresent(h, StorageTier.G1)).isTrue();
            assertThat(m.registry().isRegistered(h)).isTrue();
            assertStates(m, counts(3, 0, 0, 0, 0, 1));
        }

        @PolicyMatrix
        void match_inactiveBlock_resurrectsItAndCloseCachesItAgain(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 20
            BlockManager m = TestManagers.create(4, duplication, eviction);
            SequenceHash h = chain(0, 1).get(0);
            ImmutableBlock first = TestBlocks.register(m, h);
            int id = first.blockId();
            first.close();

            List<ImmutableBlock> matched = TestBlocks.match(m, List.of(h));

            assertThat(ids(matched)).containsExactly(id);
            assertThat(m.inactiveBlocks()).isZero();
            assertStates(m, counts(3, 0, 0, 1, 0, 0));
            TestBlocks.closeAll(matched);
            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }
    }

    @Nested
    class Scan {

        @PolicyMatrix
        void scan_missInTheMiddle_findsEveryHitKeyedByHash(EvictionPolicy eviction, DuplicationPolicy duplication) {
            BlockManager m = TestManagers.create(8, duplication, eviction);
            List<SequenceHash> hashes = chain(0, 3);
            TestBlocks.cache(m, List.of(hashes.get(0), hashes.get(2)));

            Map<SequenceHash, ImmutableBlock> hits = m.scan(hashes, true).block(TIMEOUT);

            assertThat(hits.keySet()).containsExactly(hashes.get(0), hashes.get(2));
            assertThat(m.inactiveBlocks()).isZero();
            TestBlocks.closeAll(new ArrayList<>(hits.values()));
            assertThat(m.inactiveBlocks()).isEqualTo(2);
        }

        @Test
        void scan_repeatedHash_returnsOneHandleAndCountsEveryRequest() {
            BlockManager m = TestManagers.create(4);
            SequenceHash h = chain(0, 1).get(0);
            TestBlocks.cache(m, List.of(h));

            Map<SequenceHash, ImmutableBlock> hits =
                    m.scan(List.of(h, h, chain(50, 1).get(0), h)).block(TIMEOUT);

            assertThat(hits).hasSize(1).containsKey(h);
            assertThat(m.stats().inflightImmutable()).isEqualTo(1);
            assertThat(m.stats().scanHashesRequested()).isEqualTo(4);
            assertThat(m.stats().scanBlocksReturned()).isEqualTo(1);
            TestBlocks.closeAll(new ArrayList<>(hits.values()));
        }
    }

    @Nested
    class FrequencyTouches {

        private final CountingFrequencyTracker tracker = new CountingFrequencyTracker();
        private final BlockRegistry registry =
                BlockRegistry.builder().frequencyTracker(tracker).build();

        private BlockManager manager(DuplicationPolicy duplication) {
            return TestManagers.create(8, b -> b.registry(registry).duplicationPolicy(duplication));
        }

        @ParameterizedTest
        @EnumSource(DuplicationPolicy.class)
        void register_newHashes_touchEachOnce_dedupTouchesNothing(DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 22
            BlockManager m = manager(duplication);
            List<SequenceHash> hashes = chain(0, 3);
            List<ImmutableBlock> first = TestBlocks.register(m, hashes);
            assertThat(tracker.snapshot()).containsOnlyKeys(hashes).containsValues(1);

            List<ImmutableBlock> again = TestBlocks.register(m, hashes);

            assertThat(tracker.total())
                    .as("duplicates and rejects are not accesses")
                    .isEqualTo(3);
            TestBlocks.closeAll(again);
            TestBlocks.closeAll(first);
            TestBlocks.cache(m, hashes); // re-registration of cached primaries
            assertThat(tracker.total()).isEqualTo(3);
        }

        @Test
        void match_activeAndInactiveHits_touchOncePerHitAndNeverOnMiss() {
            // kvbm-core §8 invariant 22
            BlockManager m = manager(DuplicationPolicy.ALLOW);
            List<SequenceHash> hashes = chain(0, 4);
            TestBlocks.cache(m, hashes.subList(0, 1));
            ImmutableBlock active = TestBlocks.register(m, hashes.get(1));
            TestBlocks.cache(m, hashes.subList(3, 4));
            int base = tracker.total();

            List<ImmutableBlock> matched = TestBlocks.match(m, hashes);

            assertThat(matched).hasSize(2);
            assertThat(tracker.total() - base).isEqualTo(2);
            assertThat(tracker.count(hashes.get(0))).as("inactive hit").isEqualTo(2);
            assertThat(tracker.count(hashes.get(1))).as("active hit").isEqualTo(2);
            assertThat(tracker.count(hashes.get(2))).as("miss").isZero();
            assertThat(tracker.count(hashes.get(3))).as("after the miss").isEqualTo(1);
            TestBlocks.closeAll(matched);
            active.close();
        }

        @Test
        void scan_touchTrue_touchesOncePerHit_touchFalseNever() {
            // kvbm-core §8 invariant 22
            BlockManager m = manager(DuplicationPolicy.ALLOW);
            List<SequenceHash> hashes = chain(0, 3);
            TestBlocks.cache(m, List.of(hashes.get(0), hashes.get(2)));
            int base = tracker.total();

            TestBlocks.closeAll(
                    new ArrayList<>(m.scan(hashes, false).block(TIMEOUT).values()));
            assertThat(tracker.total()).isEqualTo(base);

            TestBlocks.closeAll(
                    new ArrayList<>(m.scan(List.of(hashes.get(0), hashes.get(0), hashes.get(1), hashes.get(2)), true)
                            .block(TIMEOUT)
                            .values()));
            assertThat(tracker.total() - base).isEqualTo(2);
            assertThat(tracker.count(hashes.get(0))).isEqualTo(2);
            assertThat(tracker.count(hashes.get(1))).isZero();

            TestBlocks.closeAll(new ArrayList<>(m.scan(hashes).block(TIMEOUT).values()));
            assertThat(tracker.total() - base).as("scan(hashes) touches").isEqualTo(4);
        }

        @Test
        void upgrade_activeOrCached_touchesNothing() {
            // kvbm-core §8 invariant 22
            BlockManager m = manager(DuplicationPolicy.ALLOW);
            ImmutableBlock handle = TestBlocks.register(m, chain(0, 1).get(0));
            WeakBlock weak = handle.downgrade();
            int base = tracker.total();

            weak.upgrade().block(TIMEOUT).close();
            handle.close();
            ImmutableBlock resurrected = weak.upgrade().block(TIMEOUT);

            assertThat(resurrected).isNotNull();
            assertThat(tracker.total()).isEqualTo(base);
            resurrected.close();
        }

        @Test
        void registryLookup_touchFlag_decidesTheTouch() {
            // kvbm-core §8 invariant 22
            BlockManager m = manager(DuplicationPolicy.ALLOW);
            SequenceHash h = chain(0, 1).get(0);
            TestBlocks.cache(m, List.of(h));

            registry.lookup(h, false).orElseThrow().close();
            assertThat(tracker.count(h)).isEqualTo(1);
            registry.lookup(h, true).orElseThrow().close();
            assertThat(tracker.count(h)).isEqualTo(2);
            assertThat(registry.lookup(chain(9, 1).get(0), true)).isEmpty();
            assertThat(tracker.total()).isEqualTo(2);
        }

        @Test
        void register_afterEviction_touchesAgainAsNewRegistration() {
            // kvbm-core §8 invariant 22
            BlockManager m = TestManagers.create(1, b -> b.registry(registry));
            SequenceHash a = chain(0, 1).get(0);
            TestBlocks.cache(m, List.of(a));
            TestBlocks.cache(m, chain(10, 1)); // evicts a: its registration ends

            TestBlocks.cache(m, List.of(a));

            assertThat(tracker.count(a)).isEqualTo(2);
        }
    }

    @Nested
    class WeakBlocks {

        @PolicyMatrix
        void upgrade_whileHeld_returnsSameBlock(EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 23
            BlockManager m = TestManagers.create(4, duplication, eviction);
            ImmutableBlock handle = TestBlocks.register(m, chain(0, 1).get(0));
            WeakBlock weak = handle.downgrade();

            ImmutableBlock upgraded = weak.upgrade().block(TIMEOUT);

            assertThat(upgraded.blockId()).isEqualTo(handle.blockId());
            assertThat(weak.blockId()).isEqualTo(handle.blockId());
            assertThat(weak.sequenceHash()).isEqualTo(handle.sequenceHash());
            assertThat(handle.useCount()).isEqualTo(2);
            upgraded.close();
            handle.close();
        }

        @PolicyMatrix
        void upgrade_afterLastClose_resurrectsFromInactive(EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 23
            BlockManager m = TestManagers.create(4, duplication, eviction);
            ImmutableBlock handle = TestBlocks.register(m, chain(0, 1).get(0));
            WeakBlock weak = handle.downgrade();
            handle.close();
            assertThat(m.inactiveBlocks()).isEqualTo(1);

            ImmutableBlock upgraded = weak.upgrade().block(TIMEOUT);

            assertThat(upgraded.blockId()).isEqualTo(handle.blockId());
            assertThat(m.inactiveBlocks()).isZero();
            upgraded.close();
            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @PolicyMatrix
        void upgrade_afterEviction_completesEmpty(EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 23
            BlockManager m = TestManagers.create(2, duplication, eviction);
            ImmutableBlock handle = TestBlocks.register(m, chain(0, 1).get(0));
            WeakBlock weak = handle.downgrade();
            handle.close();
            TestBlocks.closeAll(m.allocate(2).block(TIMEOUT));

            StepVerifier.create(weak.upgrade()).verifyComplete();
            assertThat(m.stats().inflightImmutable()).isZero();
        }

        @PolicyMatrix
        void upgrade_manyWeakBlocksOfOneHash_allUpgradeToTheSameBlock(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 23
            BlockManager m = TestManagers.create(4, duplication, eviction);
            ImmutableBlock handle = TestBlocks.register(m, chain(0, 1).get(0));
            ImmutableBlock other = handle.retain();
            List<WeakBlock> weaks = List.of(handle.downgrade(), handle.downgrade(), other.downgrade());
            handle.close();
            other.close();

            List<ImmutableBlock> upgraded = new ArrayList<>();
            for (WeakBlock weak : weaks) {
                upgraded.add(weak.upgrade().block(TIMEOUT));
            }

            assertThat(ids(upgraded)).containsOnly(handle.blockId()).hasSize(3);
            assertThat(upgraded.get(0).useCount()).isEqualTo(3);
            TestBlocks.closeAll(upgraded);
        }

        @Test
        void upgrade_ofReleasedDuplicate_returnsThePrimary() {
            BlockManager m = TestManagers.create(4, DuplicationPolicy.ALLOW, EvictionPolicy.lru());
            SequenceHash h = chain(0, 1).get(0);
            ImmutableBlock primary = TestBlocks.register(m, h);
            ImmutableBlock duplicate = TestBlocks.register(m, h);
            WeakBlock weak = duplicate.downgrade();
            duplicate.close();

            ImmutableBlock upgraded = weak.upgrade().block(TIMEOUT);

            assertThat(upgraded.blockId()).isEqualTo(primary.blockId()).isNotEqualTo(weak.blockId());
            upgraded.close();
            primary.close();
        }
    }

    @Nested
    class ResetInactive {

        @PolicyMatrix
        void resetInactive_cachedBlocks_dropsThemAllAndClearsPresence(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 28
            BlockManager m = TestManagers.create(8, duplication, eviction);
            List<SequenceHash> cached = chain(0, 5);
            TestBlocks.cache(m, cached);
            BlockManagerStats before = m.stats();

            StepVerifier.create(m.resetInactive()).expectNext(5).verifyComplete();

            assertThat(m.stats().inactivePoolSize()).isZero();
            assertThat(m.stats().resetPoolSize()).isEqualTo(8);
            assertThat(m.availableBlocks()).isEqualTo(8);
            assertThat(m.stats().evictions()).as("a drain is not an eviction").isEqualTo(before.evictions());
            assertThat(m.registry().checkPresence(cached, StorageTier.G1)).containsOnly(false);
            assertThat(cached).noneMatch(m.registry()::isRegistered);
            assertThat(TestBlocks.match(m, cached)).isEmpty();
            assertStates(m, counts(8, 0, 0, 0, 0, 0));
        }

        @Test
        void resetInactive_withHeldBlocks_dropsOnlyCachedOnes() {
            // kvbm-core §8 invariant 28
            BlockManager m = TestManagers.create(8);
            List<SequenceHash> hashes = chain(0, 4);
            TestBlocks.cache(m, hashes.subList(0, 3));
            ImmutableBlock held = TestBlocks.register(m, hashes.get(3));

            StepVerifier.create(m.resetInactive()).expectNext(3).verifyComplete();

            assertThat(m.registry().isPresent(hashes.get(3), StorageTier.G1)).isTrue();
            assertStates(m, counts(7, 0, 0, 1, 0, 0));
            held.close();
            assertThat(m.inactiveBlocks()).isEqualTo(1);
            StepVerifier.create(m.resetInactive()).expectNext(1).verifyComplete();
            StepVerifier.create(m.resetInactive()).expectNext(0).verifyComplete();
        }
    }

    @Nested
    class EvictionOrder {

        /** Caches a, b, c in that order in a full 3-block manager, then hits a; returns the next victim. */
        private SequenceHash victimAfterHitOnEldest(EvictionPolicy eviction) {
            BlockManager m = TestManagers.create(3, b -> b.eviction(eviction));
            List<SequenceHash> abc = chain(0, 3);
            for (SequenceHash h : abc) {
                TestBlocks.cache(m, List.of(h));
            }
            TestBlocks.closeAll(TestBlocks.match(m, abc.subList(0, 1)));
            Allocation allocation = m.allocateWithEvictions(1).block(TIMEOUT);
            TestBlocks.closeAll(allocation.blocks());
            assertThat(allocation.evicted()).hasSize(1);
            return allocation.evicted().get(0);
        }

        @Test
        void evict_lruAfterHitOnEldest_evictsTheSecond() {
            assertThat(victimAfterHitOnEldest(EvictionPolicy.lru()))
                    .isEqualTo(chain(0, 3).get(1));
        }

        @Test
        void evict_fifoAfterHitOnEldest_evictsTheEldest() {
            assertThat(victimAfterHitOnEldest(EvictionPolicy.fifo()))
                    .isEqualTo(chain(0, 3).get(0));
        }

        @EvictionPolicies
        void evict_blockReRegisteredAfterEvictOnRelease_entersTheCacheLast(EvictionPolicy eviction) {
            // The block left the cache (and the registry) when it was released to the reset pool; registering the
            // same hash on the same slot again is a new cache entry for every policy.
            BlockManager m = TestManagers.create(3, b -> b.eviction(eviction));
            List<SequenceHash> h = chain(0, 3);
            TestBlocks.cache(m, h.subList(0, 2)); // a on block 0, b on block 1
            List<ImmutableBlock> hit = TestBlocks.match(m, h.subList(0, 1));
            hit.get(0).evictOnRelease(true);
            TestBlocks.closeAll(hit); // a leaves for the reset pool: not cached, not registered
            assertThat(m.registry().isRegistered(h.get(0))).isFalse();
            List<CompleteBlock> staged = TestBlocks.stage(m, List.of(h.get(2), h.get(0)));
            assertThat(ids(staged)).containsExactly(2, 0);
            List<ImmutableBlock> again = m.registerAll(staged).block(TIMEOUT);
            TestBlocks.closeAll(again); // c, then a, enter the cache after b

            Allocation all = m.allocateWithEvictions(3).block(TIMEOUT);

            if (eviction.name().startsWith("lineage")) {
                // a, b, c form one chain again: only the leaf is evictable, so tail to root
                assertThat(all.evicted()).containsExactly(h.get(2), h.get(1), h.get(0));
            } else {
                assertThat(all.evicted()).containsExactly(h.get(1), h.get(2), h.get(0));
            }
            TestBlocks.closeAll(all.blocks());
        }
    }

    @Nested
    class EvictOnRelease {

        @PolicyMatrix
        void close_managerDefaultEvictOnRelease_sendsEveryBlockToResetPool(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 43
            BlockManager m = TestManagers.create(
                    6, b -> b.evictOnRelease(true).eviction(eviction).duplicationPolicy(duplication));
            List<SequenceHash> hashes = chain(0, 4);

            TestBlocks.cache(m, hashes);

            assertStates(m, counts(6, 0, 0, 0, 0, 0));
            assertThat(m.registry().checkPresence(hashes, StorageTier.G1)).containsOnly(false);
            assertThat(hashes).noneMatch(m.registry()::isRegistered);
            assertThat(TestBlocks.match(m, hashes)).isEmpty();
        }

        @Test
        void evictOnRelease_overrideFalse_survivesCacheTripsAndResetsOnReallocation() {
            // kvbm-core §8 invariant 44
            BlockManager m = TestManagers.create(1, b -> b.evictOnRelease(true));
            SequenceHash a = chain(0, 1).get(0);
            ImmutableBlock handle = TestBlocks.register(m, a);
            handle.evictOnRelease(false);
            handle.close();
            assertThat(m.inactiveBlocks()).as("the override keeps it cached").isEqualTo(1);

            List<ImmutableBlock> resurrected = TestBlocks.match(m, List.of(a));
            TestBlocks.closeAll(resurrected);
            assertThat(m.inactiveBlocks())
                    .as("the override survived the trip through the cache")
                    .isEqualTo(1);

            ImmutableBlock next = TestBlocks.register(m, chain(10, 1).get(0)); // evicts a: same slot, new life
            assertThat(next.blockId()).isEqualTo(handle.blockId());
            next.close();
            assertThat(m.inactiveBlocks())
                    .as("the reallocated slot follows the default again")
                    .isZero();
            assertStates(m, counts(1, 0, 0, 0, 0, 0));
        }

        @Test
        void evictOnRelease_true_skipsCacheOnceAndResetsOnReallocation() {
            // kvbm-core §8 invariant 44
            BlockManager m = TestManagers.create(1);
            SequenceHash a = chain(0, 1).get(0);
            ImmutableBlock handle = TestBlocks.register(m, a);
            handle.evictOnRelease(true);
            handle.close();
            assertStates(m, counts(1, 0, 0, 0, 0, 0));
            assertThat(m.registry().isPresent(a, StorageTier.G1)).isFalse();

            ImmutableBlock next = TestBlocks.register(m, chain(10, 1).get(0));
            assertThat(next.blockId()).isEqualTo(handle.blockId());
            next.close();

            assertStates(m, counts(0, 0, 0, 0, 0, 1));
        }

        /**
         * In kvbm a CompleteBlock may carry an override into {@code reset()}; here an override can only be set on a
         * registered block, so what is checked is that a slot whose previous life ended with an override, staged and
         * rolled back in its next life, follows the manager default.
         */
        @ParameterizedTest(name = "evictOnRelease default {0}")
        @ValueSource(booleans = {true, false})
        void reset_completeBlockRegisteredAgain_followsManagerDefault(boolean evictByDefault) {
            // kvbm-core §8 invariant 44
            BlockManager m = TestManagers.create(1, b -> b.evictOnRelease(evictByDefault));
            SequenceHash a = chain(0, 1).get(0);
            ImmutableBlock first = TestBlocks.register(m, a);
            first.evictOnRelease(!evictByDefault);
            first.close();
            MutableBlock block = m.allocate().block(TIMEOUT);
            assertThat(block.blockId()).isEqualTo(first.blockId());

            MutableBlock rolledBack = block.stage(a, 4).reset();
            ImmutableBlock handle = m.register(rolledBack.stage(a, 4)).block(TIMEOUT);
            handle.close();

            assertThat(m.inactiveBlocks()).isEqualTo(evictByDefault ? 0 : 1);
        }

        @Test
        void evictOnRelease_falseOnDuplicate_stillGoesToResetPool() {
            BlockManager m = TestManagers.create(4, DuplicationPolicy.ALLOW, EvictionPolicy.lru());
            SequenceHash a = chain(0, 1).get(0);
            ImmutableBlock primary = TestBlocks.register(m, a);
            ImmutableBlock duplicate = TestBlocks.register(m, a);
            duplicate.evictOnRelease(false);

            duplicate.close();

            assertStates(m, counts(3, 0, 0, 1, 0, 0));
            primary.close();
            assertStates(m, counts(3, 0, 0, 0, 0, 1));
        }

        @Test
        void evictOnRelease_setThroughSeveralHandles_lastWriteWins() {
            BlockManager m = TestManagers.create(4);
            ImmutableBlock one = TestBlocks.register(m, chain(0, 1).get(0));
            ImmutableBlock two = one.retain();

            one.evictOnRelease(true);
            two.evictOnRelease(false);
            two.close();
            one.close();

            assertThat(m.inactiveBlocks()).isEqualTo(1);

            List<ImmutableBlock> again = TestBlocks.match(m, chain(0, 1));
            ImmutableBlock three = again.get(0).retain();
            three.evictOnRelease(true);
            TestBlocks.closeAll(again);
            three.close();
            assertThat(m.inactiveBlocks()).isZero();
        }
    }

    @Test
    void lookup_userHandleHeldAcrossEviction_keepsRegistrationAndAttachments() {
        BlockManager m = TestManagers.create(1);
        SequenceHash a = chain(0, 1).get(0);
        TestBlocks.cache(m, List.of(a));
        RegistrationHandle mine = m.registry().lookup(a, false).orElseThrow();
        mine.attachUnique(String.class, "offloaded to G2");

        TestBlocks.cache(m, chain(10, 1)); // evicts a from this tier

        assertThat(m.registry().isPresent(a, StorageTier.G1)).isFalse();
        assertThat(m.registry().isRegistered(a))
                .as("the user's handle keeps the registration")
                .isTrue();
        assertThat(mine.unique(String.class)).contains("offloaded to G2");
        mine.close();
        assertThat(m.registry().isRegistered(a)).isFalse();
    }
}
