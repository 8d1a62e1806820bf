package io.kvbm.manager;

import static io.kvbm.manager.StoreAudit.assertBooks;
import static io.kvbm.manager.StoreAudit.assertStates;
import static io.kvbm.manager.StoreAudit.counts;
import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.ids;
import static io.kvbm.testing.TestTokens.chain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.BlockSizeMismatchException;
import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.block.WeakBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.eviction.InactiveIndex;
import io.kvbm.testing.PolicyMatrix;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * kvbm-core §8 invariants 1–16 (conservation, allocation, registration and dedup), run over every eviction policy ×
 * duplication policy where the policy could matter. The lookup-side invariants live in
 * {@link BlockManagerLookupInvariantsTest}.
 */
class BlockManagerInvariantsTest {

    @Nested
    class Conservation {

        @PolicyMatrix
        void stateCounts_withEveryStateOccupied_sumToTotalAndMatchGauges(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 1
            BlockManager m = TestManagers.create(12, duplication, eviction);
            List<SequenceHash> held = chain(200, 2);
            TestBlocks.cache(m, chain(100, 2));
            List<ImmutableBlock> primaries = TestBlocks.register(m, held);
            List<MutableBlock> mutable = m.allocate(2).block(TIMEOUT);
            List<CompleteBlock> staged = TestBlocks.stage(m, chain(300, 2));
            ImmutableBlock second = TestBlocks.register(m, held.get(0));
            boolean allow = duplication == DuplicationPolicy.ALLOW;

            assertStates(m, counts(allow ? 3 : 4, 2, 2, 2, allow ? 1 : 0, 2));
            assertThat(m.totalBlocks()).isEqualTo(12);

            second.close();
            TestBlocks.closeAll(primaries);
            TestBlocks.closeAll(mutable);
            TestBlocks.closeAll(staged);
            assertStates(m, counts(8, 0, 0, 0, 0, 4));
            assertThat(m.totalBlocks()).isEqualTo(12);
        }

        @Test
        void freshManager_everyBlockAvailableAndNothingCounted() {
            // kvbm-core §8 invariant 2
            BlockManager m = TestManagers.create(10);

            assertThat(m.availableBlocks()).isEqualTo(10);
            assertThat(m.resetBlocks()).isEqualTo(10);
            assertThat(m.inactiveBlocks()).isZero();
            BlockManagerStats s = m.stats();
            assertThat(List.of(
                            s.allocations(),
                            s.allocationsFromReset(),
                            s.evictions(),
                            s.registrations(),
                            s.duplicateBlocks(),
                            s.registrationDedup(),
                            s.stagings(),
                            s.matchHashesRequested(),
                            s.matchBlocksReturned(),
                            s.scanHashesRequested(),
                            s.scanBlocksReturned(),
                            s.leakedBlocks(),
                            s.inflightMutable(),
                            s.inflightImmutable(),
                            s.inactivePoolSize(),
                            s.pendingAllocations(),
                            s.allocateRollbacks()))
                    .containsOnly(0L);
            assertThat(s.resetPoolSize()).isEqualTo(10);
            assertStates(m, counts(10, 0, 0, 0, 0, 0));
        }

        @PolicyMatrix
        void allocate_kBlocks_movesGaugesAndCountersByK(EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 3
            BlockManager m = TestManagers.create(10, duplication, eviction);

            List<MutableBlock> blocks = m.allocate(4).block(TIMEOUT);

            assertThat(ids(blocks))
                    .as("fresh reset pool hands out ascending ids")
                    .containsExactly(0, 1, 2, 3);
            BlockManagerStats s = m.stats();
            assertThat(m.availableBlocks()).isEqualTo(6);
            assertThat(s.allocations()).isEqualTo(4);
            assertThat(s.allocationsFromReset()).isEqualTo(4);
            assertThat(s.evictions()).isZero();
            assertThat(s.inflightMutable()).isEqualTo(4);
            assertThat(s.resetPoolSize()).isEqualTo(6);
            assertStates(m, counts(6, 4, 0, 0, 0, 0));
            TestBlocks.closeAll(blocks);
        }

        @PolicyMatrix
        void closeMutable_returnsToTailOfResetPoolNeverInactive(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 4
            BlockManager m = TestManagers.create(6, duplication, eviction);
            List<MutableBlock> blocks = m.allocate(4).block(TIMEOUT);

            for (int i : new int[] {2, 0, 3, 1}) {
                blocks.get(i).close();
            }

            assertThat(m.stats().inflightMutable()).isZero();
            assertStates(m, counts(6, 0, 0, 0, 0, 0));
            List<MutableBlock> all = m.allocate(6).block(TIMEOUT);
            assertThat(ids(all)).as("oldest freed first").containsExactly(4, 5, 2, 0, 3, 1);
            TestBlocks.closeAll(all);
        }

        @PolicyMatrix
        void closeComplete_returnsToResetPoolAndStagingsStayCounted(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 5
            BlockManager m = TestManagers.create(6, duplication, eviction);
            List<CompleteBlock> staged = TestBlocks.stage(m, chain(0, 3));
            assertStates(m, counts(3, 0, 3, 0, 0, 0));

            TestBlocks.closeAll(staged);

            assertThat(m.stats().stagings()).isEqualTo(3);
            assertThat(m.stats().registrations()).isZero();
            assertStates(m, counts(6, 0, 0, 0, 0, 0));
            assertThat(TestBlocks.match(m, chain(0, 3)))
                    .as("never registered, never cached")
                    .isEmpty();
        }

        @PolicyMatrix
        void stage_movesInflightToStagings_failedCompleteChangesNothing(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 6
            BlockManager m = TestManagers.create(4, duplication, eviction);
            MutableBlock block = m.allocate().block(TIMEOUT);
            TokenBlock tooLong = TestTokens.blocks(0, 1, 8).get(0);
            BlockManagerStats before = m.stats();

            assertThatThrownBy(() -> block.complete(tooLong))
                    .isInstanceOfSatisfying(BlockSizeMismatchException.class, e -> {
                        assertThat(e.expected()).isEqualTo(4);
                        assertThat(e.actual()).isEqualTo(8);
                    });
            assertThat(m.stats()).isEqualTo(before);
            assertStates(m, counts(3, 1, 0, 0, 0, 0));

            CompleteBlock staged = block.complete(TestTokens.blocks(0, 1, 4).get(0));

            assertThat(staged.blockId()).as("the guard was handed back intact").isEqualTo(block.blockId());
            assertThat(m.stats().inflightMutable()).isZero();
            assertThat(m.stats().stagings()).isEqualTo(1);
            assertStates(m, counts(3, 0, 1, 0, 0, 0));
            staged.close();
        }

        @PolicyMatrix
        void fullCycle_registerReleaseReallocate_evictsEveryCachedBlock(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 9
            int n = 8;
            BlockManager m = TestManagers.create(n, duplication, eviction);
            List<SequenceHash> hashes = chain(0, n);
            TestBlocks.cache(m, hashes);
            assertStates(m, counts(0, 0, 0, 0, 0, n));
            assertThat(m.availableBlocks()).isEqualTo(n);

            List<MutableBlock> again = m.allocate(n).block(TIMEOUT);

            assertThat(m.stats().evictions()).isEqualTo(n);
            assertThat(m.stats().allocations()).isEqualTo(2L * n);
            assertThat(m.stats().allocationsFromReset()).isEqualTo(n);
            assertThat(m.registry().checkPresence(hashes, StorageTier.G1)).containsOnly(false);
            TestBlocks.closeAll(again);
            assertStates(m, counts(n, 0, 0, 0, 0, 0));
            assertThat(TestBlocks.match(m, hashes)).isEmpty();
        }

        @PolicyMatrix
        void doubleCycle_secondChainFillsCache_thirdAllocationEvictsFirstChain(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 9
            int n = 4;
            BlockManager m = TestManagers.create(2 * n, duplication, eviction);
            TestBlocks.cache(m, chain(0, n));
            TestBlocks.cache(m, chain(1000, n));
            assertThat(m.stats().evictions()).isZero();

            Allocation third = m.allocateWithEvictions(n).block(TIMEOUT);

            BlockManagerStats s = m.stats();
            assertThat(s.allocations()).isEqualTo(3L * n);
            assertThat(s.registrations()).isEqualTo(2L * n);
            assertThat(s.evictions()).isEqualTo(n);
            List<SequenceHash> first = chain(0, n);
            List<SequenceHash> second = chain(1000, n);
            int survivingPrefix = n;
            switch (eviction.name()) {
                case "lineage": // leaves only, oldest first: the first chain, tail to root
                case "lineage-lfu": // the same: every block was used once, so no bonus changes the tick order
                    assertThat(third.evicted()).containsExactly(first.get(3), first.get(2), first.get(1), first.get(0));
                    break;
                case "lineage-fifo": // leaves only, in the order they became leaves: round robin over the chains
                    assertThat(third.evicted())
                            .containsExactly(first.get(3), second.get(3), first.get(2), second.get(2));
                    survivingPrefix = 2;
                    break;
                default: // lru, fifo, multiLru (every block cold): released first and entered first
                    assertThat(third.evicted()).containsExactlyElementsOf(first);
            }
            TestBlocks.closeAll(third.blocks());
            List<ImmutableBlock> survivors = TestBlocks.match(m, second);
            assertThat(survivors).hasSize(survivingPrefix);
            TestBlocks.closeAll(survivors);
            assertStates(m, counts(n, 0, 0, 0, 0, n));
        }

        @PolicyMatrix
        void mixedReturnPaths_mutableStagedRegistered_booksBalance(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 10
            BlockManager m = TestManagers.create(24, duplication, eviction);
            TestBlocks.closeAll(m.allocate(8).block(TIMEOUT));
            TestBlocks.closeAll(TestBlocks.stage(m, chain(0, 8)));
            TestBlocks.cache(m, chain(100, 8));

            BlockManagerStats s = m.stats();
            assertThat(s.resetPoolSize()).isEqualTo(16);
            assertThat(s.inactivePoolSize()).isEqualTo(8);
            assertThat(s.stagings()).isEqualTo(16);
            assertThat(s.registrations()).isEqualTo(8);
            assertThat(m.availableBlocks()).isEqualTo(24);
            assertStates(m, counts(16, 0, 0, 0, 0, 8));
        }
    }

    @Nested
    class Allocate {

        @Test
        void tryAllocate_moreThanAvailable_completesEmptyAndChangesNothing() {
            // kvbm-core §8 invariant 7
            BlockManager m = TestManagers.create(8);
            TestBlocks.cache(m, chain(0, 2));
            List<MutableBlock> held = m.allocate(5).block(TIMEOUT);
            int[] before = assertBooks(m);
            BlockManagerStats statsBefore = m.stats();

            StepVerifier.create(m.tryAllocate(4)).verifyComplete();

            assertThat(assertBooks(m)).containsExactly(before);
            assertThat(m.stats()).isEqualTo(statsBefore);
            TestBlocks.closeAll(held);
        }

        @Test
        void allocate_zero_emitsEmptyListAndCountsNothing() {
            // kvbm-core §8 invariant 7
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> all = m.allocate(4).block(TIMEOUT);

            StepVerifier.create(m.allocate(0)).expectNext(List.of()).verifyComplete();
            StepVerifier.create(m.tryAllocate(0)).expectNext(List.of()).verifyComplete();

            assertThat(m.stats().allocations()).isEqualTo(4);
            TestBlocks.closeAll(all);
        }

        @Test
        void allocate_exactlyAvailable_takesResetThenEvictsInPolicyOrder() {
            // kvbm-core §8 invariant 7
            BlockManager m = TestManagers.create(8);
            List<SequenceHash> cached = chain(0, 3);
            TestBlocks.cache(m, cached);
            List<MutableBlock> held = m.allocate(2).block(TIMEOUT);
            assertThat(m.availableBlocks()).isEqualTo(6);

            Allocation all = m.allocateWithEvictions(6).block(TIMEOUT);

            assertThat(all.blocks()).hasSize(6);
            assertThat(ids(all.blocks()).subList(0, 3))
                    .as("reset blocks come first")
                    .containsExactly(5, 6, 7);
            assertThat(ids(all.blocks()).subList(3, 6)).containsExactly(0, 1, 2);
            assertThat(all.evicted()).containsExactlyElementsOf(cached);
            assertThat(m.availableBlocks()).isZero();
            TestBlocks.closeAll(all.blocks());
            TestBlocks.closeAll(held);
        }

        @Test
        void allocate_countOutOfRange_throwsAtCallTimeNamingValue() {
            // kvbm-core §8 invariant 7
            BlockManager m = TestManagers.create(4);

            assertThatThrownBy(() -> m.allocate(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got -1");
            assertThatThrownBy(() -> m.allocate(5))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got 5");
            assertThatThrownBy(() -> m.tryAllocate(5)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> m.allocateWithEvictions(-3)).isInstanceOf(IllegalArgumentException.class);
            assertThat(m.stats().allocations()).isZero();
        }

        @Test
        void tryAllocate_eightRacersForAllBlocks_exactlyOneWinsEachRound() {
            // kvbm-core §8 invariant 7
            BlockManager m = TestManagers.create(16);
            for (int round = 0; round < 300; round++) {
                List<Optional<List<MutableBlock>>> results = Flux.range(0, 8)
                        .parallel(8)
                        .runOn(Schedulers.parallel(), 1)
                        .flatMap(i -> m.tryAllocate(16).map(Optional::of).defaultIfEmpty(Optional.empty()))
                        .sequential()
                        .collectList()
                        .block(TIMEOUT);

                List<List<MutableBlock>> granted = new ArrayList<>();
                results.forEach(r -> r.ifPresent(granted::add));
                assertThat(results).as("round %d", round).hasSize(8);
                assertThat(granted).as("winners of round %d", round).hasSize(1);
                assertThat(ids(granted.get(0)))
                        .as("round %d", round)
                        .doesNotHaveDuplicates()
                        .hasSize(16);
                TestBlocks.closeAll(granted.get(0));
                assertThat(m.availableBlocks()).as("after round %d", round).isEqualTo(16);
            }
            assertThat(m.stats().allocations()).isEqualTo(300L * 16);
            assertBooks(m);
        }

        @Test
        void allocate_eightRacersForAllBlocks_servedOneAfterAnother() {
            // kvbm-core §8 invariant 7
            BlockManager m = TestManagers.create(16);
            for (int round = 0; round < 50; round++) {
                List<Integer> served = Flux.range(0, 8)
                        .parallel(8)
                        .runOn(Schedulers.parallel(), 1)
                        .flatMap(i -> m.allocate(16).map(blocks -> {
                            // Each winner holds all 16 until it closes them, so the next one cannot overlap it.
                            assertThat(ids(blocks)).doesNotHaveDuplicates().hasSize(16);
                            TestBlocks.closeAll(blocks);
                            return i;
                        }))
                        .sequential()
                        .collectList()
                        .block(TIMEOUT);

                assertThat(served).as("round %d", round).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
                assertThat(m.availableBlocks()).isEqualTo(16);
                assertThat(m.pendingAllocations()).isZero();
            }
            assertThat(m.stats().allocations()).isEqualTo(50L * 8 * 16);
            assertBooks(m);
        }

        @PolicyMatrix
        void allocate_oneCachedNineFree_drainsResetPoolBeforeEvicting(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 8
            BlockManager m = TestManagers.create(10, duplication, eviction);
            ImmutableBlock cached = TestBlocks.register(m, chain(0, 1).get(0));
            WeakBlock weak = cached.downgrade();
            cached.close();
            List<MutableBlock> taken = new ArrayList<>();

            for (int i = 0; i < 9; i++) {
                taken.add(m.allocate().block(TIMEOUT));
                assertThat(m.stats().evictions()).as("allocation %d", i + 1).isZero();
                assertThat(m.inactiveBlocks()).isEqualTo(1);
            }
            taken.add(m.allocate().block(TIMEOUT));

            assertThat(m.stats().evictions()).isEqualTo(1);
            assertThat(taken.get(9).blockId()).isEqualTo(cached.blockId());
            StepVerifier.create(weak.upgrade()).verifyComplete();
            TestBlocks.closeAll(taken);
        }

        @Test
        void allocate_indexYieldsNoVictim_failsAndRestoresResetPoolOrder() {
            // kvbm-core §8 invariant 12
            AtomicReference<ShortChangingIndex> index = new AtomicReference<>();
            BlockManager m = shortChangingManager(6, index);
            List<SequenceHash> cached = chain(0, 4);
            TestBlocks.cache(m, cached);
            int[] before = assertBooks(m);
            BlockManagerStats statsBefore = m.stats();
            index.get().victimsAllowed = 0;

            StepVerifier.create(m.allocate(3))
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("ShortChangingIndex")
                            .hasMessageContaining("rolled back"))
                    .verify(TIMEOUT);

            assertRolledBackOnce(m, before, statsBefore);
            index.get().victimsAllowed = Integer.MAX_VALUE;
            List<MutableBlock> next = m.allocate(2).block(TIMEOUT);
            assertThat(ids(next)).as("reset pool order restored").containsExactly(4, 5);
            TestBlocks.closeAll(next);
        }

        @Test
        void allocate_indexYieldsTooFewVictims_failsChangesNothingAndKeepsVictimsCached() {
            // kvbm-core §8 invariant 12
            AtomicReference<ShortChangingIndex> index = new AtomicReference<>();
            BlockManager m = shortChangingManager(6, index);
            List<SequenceHash> cached = chain(0, 4);
            TestBlocks.cache(m, cached);
            int[] before = assertBooks(m);
            BlockManagerStats statsBefore = m.stats();
            index.get().victimsAllowed = 1;

            StepVerifier.create(m.allocateWithEvictions(4))
                    .expectError(IllegalStateException.class)
                    .verify(TIMEOUT);

            assertRolledBackOnce(m, before, statsBefore);
            assertThat(m.registry().checkPresence(cached, StorageTier.G1)).containsOnly(true);
            index.get().victimsAllowed = Integer.MAX_VALUE;
            Allocation next = m.allocateWithEvictions(4).block(TIMEOUT);
            assertThat(ids(next.blocks()).subList(0, 2))
                    .as("reset pool order restored")
                    .containsExactly(4, 5);
            assertThat(next.evicted()).hasSize(2).isSubsetOf(cached);
            TestBlocks.closeAll(next.blocks());
            List<ImmutableBlock> rest =
                    m.scan(cached, false).block(TIMEOUT).values().stream().toList();
            assertThat(rest).hasSize(2);
            TestBlocks.closeAll(rest);
        }
    }

    @Nested
    class Registration {

        @PolicyMatrix
        void register_freshHashes_keepBlockIdAndHash(EvictionPolicy eviction, DuplicationPolicy duplication) {
            // kvbm-core §8 invariant 13
            BlockManager m = TestManagers.create(6, duplication, eviction);
            List<SequenceHash> hashes = chain(0, 3);
            List<CompleteBlock> staged = TestBlocks.stage(m, hashes);
            List<Integer> stagedIds = ids(staged);

            List<ImmutableBlock> handles = m.registerAll(staged).block(TIMEOUT);

            assertThat(ids(handles)).isEqualTo(stagedIds);
            assertThat(handles).extracting(ImmutableBlock::sequenceHash).containsExactlyElementsOf(hashes);
            assertThat(handles).extracting(ImmutableBlock::tier).containsOnly(StorageTier.G1);
            assertThat(m.stats().registrations()).isEqualTo(3);
            assertThat(m.stats().stagings()).isEqualTo(3);
            assertThat(m.stats().inflightImmutable()).isEqualTo(3);
            assertStates(m, counts(3, 0, 0, 3, 0, 0));
            TestBlocks.closeAll(handles);
        }

        @Test
        void register_allowSameHashTwice_createsDuplicateWithOwnId() {
            // kvbm-core §8 invariant 14
            BlockManager m = TestManagers.create(4, DuplicationPolicy.ALLOW, EvictionPolicy.lru());
            SequenceHash h = chain(0, 1).get(0);
            ImmutableBlock primary = TestBlocks.register(m, h);

            ImmutableBlock duplicate = TestBlocks.register(m, h);

            assertThat(duplicate.blockId()).isNotEqualTo(primary.blockId());
            assertThat(duplicate.sequenceHash()).isEqualTo(h);
            assertThat(m.stats().duplicateBlocks()).isEqualTo(1);
            assertThat(m.stats().registrations()).isEqualTo(2);
            assertThat(primary.useCount()).as("the duplicate pins the primary").isEqualTo(2);
            assertStates(m, counts(2, 0, 0, 1, 1, 0));
            List<ImmutableBlock> matched = TestBlocks.match(m, List.of(h));
            assertThat(ids(matched)).as("lookups return the primary").containsExactly(primary.blockId());
            TestBlocks.closeAll(matched);

            duplicate.close();
            assertStates(m, counts(3, 0, 0, 1, 0, 0));
            primary.close();
            assertStates(m, counts(3, 0, 0, 0, 0, 1));
        }

        @Test
        void register_rejectSameHashTwice_returnsPrimaryAndFreesStagedSlotAtOnce() {
            // kvbm-core §8 invariant 15
            BlockManager m = TestManagers.create(2, DuplicationPolicy.REJECT, EvictionPolicy.lru());
            SequenceHash h = chain(0, 1).get(0);
            ImmutableBlock first = TestBlocks.register(m, h);
            CompleteBlock loser = TestBlocks.stage(m, h);

            ImmutableBlock second = m.register(loser).block(TIMEOUT);

            assertThat(second.blockId()).isEqualTo(first.blockId());
            assertThat(m.stats().registrationDedup()).isEqualTo(1);
            assertThat(m.stats().registrations()).isEqualTo(2);
            assertThat(m.stats().duplicateBlocks()).isZero();
            assertStates(m, counts(1, 0, 0, 1, 0, 0));
            MutableBlock next = m.allocate().block(TIMEOUT);
            assertThat(next.blockId()).isEqualTo(loser.blockId());
            next.close();
            second.close();
            assertThat(m.inactiveBlocks()).as("first still holds the block").isZero();
            first.close();
            assertStates(m, counts(1, 0, 0, 0, 0, 1));
        }

        @Test
        void registerAll_emptyList_emitsEmptyList() {
            // kvbm-core §8 invariant 16
            BlockManager m = TestManagers.create(2);

            StepVerifier.create(m.registerAll(List.of())).expectNext(List.of()).verifyComplete();

            assertThat(m.stats().registrations()).isZero();
        }

        @Test
        void match_emptyList_completesWithoutCounting() {
            // kvbm-core §8 invariant 16
            BlockManager m = TestManagers.create(2);
            TestBlocks.cache(m, chain(0, 1));

            StepVerifier.create(m.match(List.of())).verifyComplete();

            assertThat(m.stats().matchHashesRequested()).isZero();
            assertThat(m.stats().matchBlocksReturned()).isZero();
            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @PolicyMatrix
        void registerAll_sameHashTwiceInBatch_dedupsAgainstEarlierBlock(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            BlockManager m = TestManagers.create(4, duplication, eviction);
            SequenceHash h = chain(0, 1).get(0);
            List<CompleteBlock> staged = TestBlocks.stage(m, List.of(h, h));

            List<ImmutableBlock> handles = m.registerAll(staged).block(TIMEOUT);

            assertThat(handles.get(0).blockId()).isEqualTo(staged.get(0).blockId());
            if (duplication == DuplicationPolicy.ALLOW) {
                assertThat(handles.get(1).blockId()).isEqualTo(staged.get(1).blockId());
                assertThat(m.stats().duplicateBlocks()).isEqualTo(1);
                assertStates(m, counts(2, 0, 0, 1, 1, 0));
            } else {
                assertThat(handles.get(1).blockId()).isEqualTo(staged.get(0).blockId());
                assertThat(m.stats().registrationDedup()).isEqualTo(1);
                assertStates(m, counts(3, 0, 0, 1, 0, 0));
            }
            TestBlocks.closeAll(handles);
            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @PolicyMatrix
        void register_hashCachedInInactivePool_resurrectsCachedPrimary(
                EvictionPolicy eviction, DuplicationPolicy duplication) {
            BlockManager m = TestManagers.create(4, duplication, eviction);
            SequenceHash h = chain(0, 1).get(0);
            ImmutableBlock original = TestBlocks.register(m, h);
            int cachedId = original.blockId();
            original.close();
            CompleteBlock staged = TestBlocks.stage(m, h);

            ImmutableBlock handle = m.register(staged).block(TIMEOUT);

            if (duplication == DuplicationPolicy.ALLOW) {
                assertThat(handle.blockId()).isEqualTo(staged.blockId());
                assertStates(m, counts(2, 0, 0, 1, 1, 0));
            } else {
                assertThat(handle.blockId()).isEqualTo(cachedId);
                assertStates(m, counts(3, 0, 0, 1, 0, 0));
            }
            handle.close();
            assertStates(m, counts(3, 0, 0, 0, 0, 1));
            List<ImmutableBlock> matched = TestBlocks.match(m, List.of(h));
            assertThat(ids(matched)).as("the cached primary survives").containsExactly(cachedId);
            TestBlocks.closeAll(matched);
        }
    }

    /**
     * Asserts that a failed allocation changed nothing: the books are {@code booksBefore} and every statistic is as in
     * {@code statsBefore}, except that the manager counted its first rollback.
     */
    private static void assertRolledBackOnce(BlockManager m, int[] booksBefore, BlockManagerStats statsBefore) {
        assertThat(assertBooks(m)).containsExactly(booksBefore);
        assertThat(m.stats())
                .usingRecursiveComparison()
                .ignoringFields("allocateRollbacks")
                .isEqualTo(statsBefore);
        assertThat(m.stats().allocateRollbacks()).isEqualTo(1);
    }

    /** A manager of {@code blockCount} blocks on a {@link ShortChangingIndex}, which it publishes in {@code index}. */
    private static BlockManager shortChangingManager(int blockCount, AtomicReference<ShortChangingIndex> index) {
        return TestManagers.create(
                blockCount,
                b -> b.eviction(EvictionPolicy.of("short-changing", c -> {
                    index.set(new ShortChangingIndex());
                    return index.get();
                })));
    }

    /**
     * An insertion-ordered index that can be told to short-change allocations: while {@link #victimsAllowed} is
     * limited it keeps reporting its full size but yields only that many victims, the contract breach kvbm's store
     * guards against with a rollback (kvbm-core §3.4 step 5).
     */
    private static final class ShortChangingIndex implements InactiveIndex {

        private final LinkedHashMap<SequenceHash, Integer> entries = new LinkedHashMap<>();
        int victimsAllowed = Integer.MAX_VALUE; // set by the test thread between operations it runs itself

        @Override
        public void insert(SequenceHash hash, int blockId) {
            if (entries.containsKey(hash) || entries.containsValue(blockId)) {
                throw new IllegalStateException("duplicate " + hash + " / block " + blockId);
            }
            entries.put(hash, blockId);
        }

        @Override
        public int remove(SequenceHash hash) {
            Integer id = entries.remove(hash);
            return id == null ? NO_BLOCK : id;
        }

        @Override
        public boolean has(SequenceHash hash) {
            return entries.containsKey(hash);
        }

        @Override
        public boolean take(SequenceHash hash, int blockId) {
            return entries.remove(hash, blockId);
        }

        @Override
        public int evict() {
            Iterator<Map.Entry<SequenceHash, Integer>> it = entries.entrySet().iterator();
            if (victimsAllowed == 0 || !it.hasNext()) {
                return NO_BLOCK;
            }
            victimsAllowed--;
            int id = it.next().getValue();
            it.remove();
            return id;
        }

        @Override
        public int size() {
            return entries.size();
        }

        @Override
        public String toString() {
            return "ShortChangingIndex[size=" + entries.size() + "]";
        }
    }
}
