package io.kvbm.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.ManagerClosedException;
import io.kvbm.sequence.BlockSequence;
import io.kvbm.sequence.LogicalBlockAssignmentException;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.TokenBlock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * {@link RequestSequence}: the manual protocol of kvbm's request.rs and its numbers (block size 4, managers of 20
 * blocks unless stated), plus the reactive contract and the error paths. The invariants extension checks after every
 * test that each manager got every block back.
 */
class RequestSequenceTest {

    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final int BS = TestManagers.BLOCK_SIZE;

    /**
     * kvbm's test helper "prefilled": match the prefix, allocate the remaining complete blocks plus one generation
     * block when tokens may be generated, stage and register. Returns whether the allocation succeeded.
     */
    static boolean prefill(RequestSequence seq, BlockManager m) {
        int matched = seq.matchAndAddPrefix(m).block(TIMEOUT);
        int needed = seq.numBlocks() - matched + (seq.maxOutputTokens() > 0 ? 1 : 0);
        if (!seq.allocateBlocks(needed, m).block(TIMEOUT)) {
            return false;
        }
        seq.completeAndRegisterPending(m).block(TIMEOUT);
        return true;
    }

    /** Registers the given complete blocks in {@code m} and closes the handles: they stay cached. */
    static void cache(BlockManager m, List<TokenBlock> blocks) {
        List<MutableBlock> fresh = m.tryAllocate(blocks.size()).block(TIMEOUT);
        List<CompleteBlock> staged = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            staged.add(fresh.get(i).complete(blocks.get(i)));
        }
        m.registerAll(staged).block(TIMEOUT).forEach(ImmutableBlock::close);
    }

    static int[] tokens(int count) {
        return TestTokens.range(0, count);
    }

    @Nested
    class Construction {

        @Test
        void new_isPurelyLocal_andCountsFromItsTokens() {
            // kvbm-seq-events §6 invariant 45
            BlockManager m = TestManagers.create(20);
            RequestSequence seq = new RequestSequence(tokens(8), 10, BS);

            assertThat(seq.totalTokens()).isEqualTo(8);
            assertThat(seq.numInputTokens()).isEqualTo(8);
            assertThat(seq.numBlocks()).isEqualTo(2);
            assertThat(seq.maxOutputTokens()).isEqualTo(10);
            assertThat(seq.generatedTokens()).isZero();
            assertThat(seq.remainingTokens()).isEqualTo(10);
            assertThat(seq.assignedBlocks() + seq.stagedBlocks() + seq.unassignedBlocks())
                    .isZero();
            assertThat(seq.prefixMatchedBlocks()).isZero();
            assertThat(seq.pageIndices()).isEmpty();
            assertThat(seq.sequenceHashes()).hasSize(2);
            assertThat(m.availableBlocks()).isEqualTo(20);
        }

        @Test
        void new_badArguments_throwNamingThem() {
            assertThatThrownBy(() -> new RequestSequence(null, 1, BS)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> new RequestSequence(tokens(4), -1, BS))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxOutputTokens must be >= 0, got -1");
            assertThatThrownBy(() -> new RequestSequence(tokens(4), 1, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blockSize");
        }

        @Test
        void operations_managerWithAnotherBlockSize_throwAtOnce() {
            BlockManager m = TestManagers.create(8, b -> b.blockSize(8));
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            assertThatThrownBy(() -> seq.matchAndAddPrefix(m))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blockSize 8")
                    .hasMessageContaining("blockSize is 4");
            assertThatThrownBy(() -> seq.allocateBlocks(1, m)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> seq.allocateBlocks(-1, TestManagers.create(4)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("count must be >= 0, got -1");
        }
    }

    @Nested
    class Prefill {

        @Test
        void prefill_eightTokensMaxTen_twoAssignedOneGenerationBlock() {
            // kvbm-seq-events §6 invariant 46
            BlockManager m = TestManagers.create(20);
            try (RequestSequence seq = new RequestSequence(tokens(8), 10, BS)) {
                assertThat(prefill(seq, m)).isTrue();

                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.stagedBlocks()).isZero();
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
                assertThat(m.availableBlocks()).isEqualTo(17);
                assertThat(seq.pageIndices()).hasSize(3);
            }
            assertThat(m.availableBlocks()).isEqualTo(20);
        }

        @Test
        void prefill_sixTokens_oneAssignedOneGenerationBlock() {
            // kvbm-seq-events §6 invariant 46
            BlockManager m = TestManagers.create(20);
            try (RequestSequence seq = new RequestSequence(tokens(6), 10, BS)) {
                prefill(seq, m);

                assertThat(seq.numBlocks()).isEqualTo(1);
                assertThat(seq.assignedBlocks()).isEqualTo(1);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
            }
        }

        @Test
        void prefill_noTokens_onlyTheGenerationBlock() {
            // kvbm-seq-events §6 invariant 46
            BlockManager m = TestManagers.create(20);
            try (RequestSequence seq = new RequestSequence(new int[0], 10, BS)) {
                prefill(seq, m);

                assertThat(seq.assignedBlocks()).isZero();
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
            }
        }

        @Test
        void prefill_maxOutputZero_noGenerationBlock() {
            // kvbm-seq-events §6 invariant 46
            BlockManager m = TestManagers.create(20);
            try (RequestSequence seq = new RequestSequence(tokens(8), 0, BS)) {
                prefill(seq, m);

                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isZero();
            }
        }

        @Test
        void prefill_poolOfTwoBlocksTwelveTokens_failsAndTheManagerKeepsItsBlocks() {
            // kvbm-seq-events §6 invariant 46
            BlockManager m = TestManagers.create(2);
            RequestSequence seq = new RequestSequence(tokens(12), 10, BS);

            assertThat(prefill(seq, m)).isFalse();

            assertThat(m.availableBlocks()).isEqualTo(2);
            assertThat(seq.unassignedBlocks() + seq.assignedBlocks()).isZero();
        }

        @Test
        void matchAndAddPrefix_firstBlockCached_matchesOneAndPrefillsTheRest() {
            // kvbm-seq-events §6 invariant 47
            BlockManager m = TestManagers.create(20);
            cache(m, BlockSequence.of(tokens(12), BS).blocks().subList(0, 1));
            try (RequestSequence seq = new RequestSequence(tokens(12), 10, BS)) {
                assertThat(prefill(seq, m)).isTrue();

                assertThat(seq.prefixMatchedBlocks()).isEqualTo(1);
                assertThat(seq.assignedBlocks()).isEqualTo(3);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
                assertThat(seq.newTokensForPrefill()).isEqualTo(8);
            }
        }

        @Test
        void matchAndAddPrefix_everyBlockCached_noTokenLeftToPrefill() {
            // kvbm-seq-events §6 invariant 47
            BlockManager m = TestManagers.create(20);
            cache(m, BlockSequence.of(tokens(8), BS).blocks());
            try (RequestSequence seq = new RequestSequence(tokens(8), 10, BS)) {
                assertThat(seq.matchAndAddPrefix(m).block(TIMEOUT)).isEqualTo(2);

                assertThat(seq.prefixMatchedBlocks()).isEqualTo(2);
                assertThat(seq.newTokensForPrefill()).isZero();
                assertThat(m.inactiveBlocks()).isZero();
            }
            assertThat(m.inactiveBlocks()).isEqualTo(2);
        }

        @Test
        void matchAndAddPrefix_cold_emitsZero() {
            BlockManager m = TestManagers.create(4);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            StepVerifier.create(seq.matchAndAddPrefix(m)).expectNext(0).verifyComplete();
            assertThat(seq.newTokensForPrefill()).isEqualTo(8);
        }

        @Test
        void matchAndAddPrefix_whileHoldingBlocks_failsWithIllegalState() {
            BlockManager m = TestManagers.create(4);
            try (RequestSequence seq = new RequestSequence(tokens(8), 1, BS)) {
                seq.allocateBlocks(1, m).block(TIMEOUT);

                StepVerifier.create(seq.matchAndAddPrefix(m))
                        .expectErrorSatisfies(e -> assertThat(e)
                                .isInstanceOf(IllegalStateException.class)
                                .hasMessageContaining("holds no block"))
                        .verify(TIMEOUT);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
            }
        }

        @Test
        void addMatchedBlocks_moreThanCompleteBlocks_throwsAndClosesThem() {
            // kvbm-seq-events §6 invariant 48
            BlockManager m = TestManagers.create(8);
            List<TokenBlock> longer = BlockSequence.of(tokens(12), BS).blocks();
            cache(m, longer);
            List<ImmutableBlock> three = m.match(
                            longer.stream().map(TokenBlock::sequenceHash).toList())
                    .collectList()
                    .block(TIMEOUT);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            assertThatThrownBy(() -> seq.addMatchedBlocks(three))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("matched blocks exceed completed sequence blocks");
            assertThat(seq.assignedBlocks()).isZero();
            assertThat(m.inactiveBlocks()).isEqualTo(3);
        }

        @Test
        void addMatchedBlocks_hashOfAnotherSequence_sequenceHashMismatchHandsTheBlocksBack() {
            // kvbm-seq-events §6 invariant 48
            BlockManager m = TestManagers.create(8);
            TokenBlock other =
                    BlockSequence.of(TestTokens.range(100, 4), BS).blocks().get(0);
            cache(m, List.of(other));
            List<ImmutableBlock> foreign =
                    m.match(List.of(other.sequenceHash())).collectList().block(TIMEOUT);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            assertThatThrownBy(() -> seq.addMatchedBlocks(foreign))
                    .isInstanceOfSatisfying(LogicalBlockAssignmentException.class, e -> {
                        assertThat(e.kind()).isEqualTo(LogicalBlockAssignmentException.Kind.SEQUENCE_HASH_MISMATCH);
                        assertThat(e.position()).isZero();
                        assertThat(e.expected()).isEqualTo(seq.sequenceHashes().get(0));
                        assertThat(e.actual()).isEqualTo(other.sequenceHash());
                        assertThat(e.immutableBlocks()).hasSize(1);
                        e.closeBlocks();
                    });
            assertThat(seq.assignedBlocks()).isZero();
        }
    }

    @Nested
    class Tokens {

        @Test
        void appendToken_insideABlockEmpty_atTheBoundaryTheBlockIndex() {
            // kvbm-seq-events §6 invariant 49
            RequestSequence seq = new RequestSequence(tokens(4), 8, BS);

            assertThat(seq.appendToken(100)).isEmpty();
            assertThat(seq.appendToken(101)).isEmpty();
            assertThat(seq.appendToken(102)).isEmpty();
            assertThat(seq.appendToken(103)).hasValue(1);
            assertThat(seq.generatedTokens()).isEqualTo(4);
        }

        @Test
        void appendToken_afterMax_throwsAndIsCompleteFlipsExactlyAtMax() {
            // kvbm-seq-events §6 invariant 49
            RequestSequence seq = new RequestSequence(tokens(4), 2, BS);

            assertThat(seq.isComplete()).isFalse();
            seq.appendToken(1);
            assertThat(seq.isComplete()).isFalse();
            seq.appendToken(2);
            assertThat(seq.isComplete()).isTrue();
            assertThat(seq.remainingTokens()).isZero();
            assertThatThrownBy(() -> seq.appendToken(3))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("cannot generate more tokens: 2 generated, maxOutputTokens is 2");
            assertThat(seq.totalTokens()).isEqualTo(6);
        }

        @Test
        void isComplete_maxOutputZero_atOnce() {
            // kvbm-seq-events §6 invariant 49
            RequestSequence seq = new RequestSequence(tokens(4), 0, BS);

            assertThat(seq.isComplete()).isTrue();
            assertThatThrownBy(() -> seq.appendToken(1)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Nested
    class Decode {

        @Test
        void decodeLoop_fromFourTokensMaxEight_registersEachCompletedGenerationBlock() {
            // kvbm-seq-events §6 invariant 50
            BlockManager m = TestManagers.create(20);
            try (RequestSequence seq = new RequestSequence(tokens(4), 8, BS)) {
                prefill(seq, m);
                assertThat(seq.assignedBlocks()).isEqualTo(1);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);

                assertThat(seq.appendToken(10)).isEmpty();
                assertThat(seq.appendToken(11)).isEmpty();
                assertThat(seq.appendToken(12)).isEmpty();
                assertThat(seq.appendToken(13)).hasValue(1);
                assertThat(seq.completeAndRegisterPending(m).block(TIMEOUT)).isEqualTo(1);
                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(seq.allocateBlocks(1, m).block(TIMEOUT)).isTrue();

                OptionalInt last = OptionalInt.empty();
                for (int t = 14; t < 18; t++) {
                    last = seq.appendToken(t);
                }
                assertThat(last).hasValue(2);
                assertThat(seq.isComplete()).isTrue();
                seq.completeAndRegisterPending(m).block(TIMEOUT);
                assertThat(seq.assignedBlocks()).isEqualTo(3);
                assertThat(seq.unassignedBlocks()).isZero();
            }
        }

        @Test
        void cachedPrefill_thenDecode_countsAsInKvbm() {
            // kvbm-seq-events §6 invariant 50
            BlockManager m = TestManagers.create(20);
            cache(m, BlockSequence.of(tokens(8), BS).blocks());
            try (RequestSequence seq = new RequestSequence(tokens(8), 4, BS)) {
                prefill(seq, m);
                assertThat(seq.prefixMatchedBlocks()).isEqualTo(2);
                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
                assertThat(m.stats().registrations()).isEqualTo(2); // the cache's, none new

                for (int t = 0; t < 4; t++) {
                    seq.appendToken(t);
                }
                seq.completeAndRegisterPending(m).block(TIMEOUT);
                assertThat(seq.assignedBlocks()).isEqualTo(3);
            }
        }

        @Test
        void stagePending_thenRegisterStaged_twoSteps() {
            BlockManager m = TestManagers.create(8);
            try (RequestSequence seq = new RequestSequence(tokens(8), 1, BS)) {
                seq.allocateBlocks(3, m).block(TIMEOUT);

                assertThat(seq.stagePending()).isEqualTo(2);
                assertThat(seq.stagedBlocks()).isEqualTo(2);
                assertThat(m.match(seq.sequenceHashes()).collectList().block(TIMEOUT))
                        .isEmpty();
                assertThat(seq.registerStaged(m).block(TIMEOUT)).isEqualTo(2);
                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
            }
        }

        @Test
        void pageIndices_assignedThenStagedThenUnassigned() {
            BlockManager m = TestManagers.create(8);
            try (RequestSequence seq = new RequestSequence(tokens(8), 1, BS)) {
                seq.allocateBlocks(3, m).block(TIMEOUT);
                seq.stagePending();
                int[] staging = seq.pageIndices();
                seq.registerStaged(m).block(TIMEOUT);

                assertThat(seq.pageIndices()).containsExactly(staging);
                assertThat(seq.pageIndices()).containsExactly(0, 1, 2);
            }
        }

        @Test
        void dropExcessUnassigned_popsNewestFirstDownToKeep() {
            BlockManager m = TestManagers.create(8);
            try (RequestSequence seq = new RequestSequence(tokens(0), 1, BS)) {
                seq.allocateBlocks(4, m).block(TIMEOUT);

                assertThat(seq.dropExcessUnassigned(1)).isEqualTo(3);
                assertThat(seq.pageIndices()).containsExactly(0);
                assertThat(seq.dropExcessUnassigned(5)).isZero();
                assertThat(m.availableBlocks()).isEqualTo(7);
                assertThatThrownBy(() -> seq.dropExcessUnassigned(-1))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("keep must be >= 0, got -1");
            }
        }
    }

    @Nested
    class Allocation {

        @Test
        void allocateBlocks_moreThanTheManagerHas_falseAndNothingHeld() {
            // kvbm-seq-events §6 invariant 51
            BlockManager m = TestManagers.create(4);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            assertThat(seq.allocateBlocks(5, m).block(TIMEOUT)).isFalse();
            assertThat(seq.unassignedBlocks()).isZero();
            assertThat(m.availableBlocks()).isEqualTo(4);
        }

        @Test
        void allocateBlocks_moreThanAreFreeNow_falseAndNothingHeld() {
            // kvbm-seq-events §6 invariant 51
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> elsewhere = m.tryAllocate(3).block(TIMEOUT);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            assertThat(seq.allocateBlocks(2, m).block(TIMEOUT)).isFalse();
            assertThat(seq.unassignedBlocks()).isZero();
            assertThat(m.availableBlocks()).isEqualTo(1);
            elsewhere.forEach(MutableBlock::close);
        }

        @Test
        void allocateBlocks_zero_trueAndNothingHeld() {
            // kvbm-seq-events §6 invariant 51
            BlockManager m = TestManagers.create(4);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            assertThat(seq.allocateBlocks(0, m).block(TIMEOUT)).isTrue();
            assertThat(seq.unassignedBlocks()).isZero();
            assertThat(m.stats().allocations()).isZero();
        }

        @Test
        void allocateBlocks_isCold() {
            BlockManager m = TestManagers.create(4);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            Mono<Boolean> allocation = seq.allocateBlocks(2, m);

            assertThat(m.availableBlocks()).isEqualTo(4);
            assertThat(allocation.block(TIMEOUT)).isTrue();
            assertThat(allocation.block(TIMEOUT)).isTrue();
            assertThat(seq.unassignedBlocks()).isEqualTo(4);
            seq.release();
        }

        @Test
        void allocateBlocksWithMaxWait_blocksFreedWhileWaiting_areTaken() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> elsewhere = m.tryAllocate(4).block(TIMEOUT);
            try (RequestSequence seq = new RequestSequence(tokens(8), 1, BS)) {
                StepVerifier.create(seq.allocateBlocks(2, m, Duration.ofSeconds(5)))
                        .then(() -> {
                            assertThat(m.pendingAllocations()).isEqualTo(1);
                            elsewhere.forEach(MutableBlock::close);
                        })
                        .expectNext(true)
                        .verifyComplete();
                assertThat(seq.unassignedBlocks()).isEqualTo(2);
            }
        }

        @Test
        void allocateBlocksWithMaxWait_nothingFreedInTime_falseAndNothingHeld() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> elsewhere = m.tryAllocate(4).block(TIMEOUT);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            assertThat(seq.allocateBlocks(1, m, Duration.ofMillis(20)).block(TIMEOUT))
                    .isFalse();

            assertThat(seq.unassignedBlocks()).isZero();
            assertThat(m.pendingAllocations()).isZero();
            elsewhere.forEach(MutableBlock::close);
        }

        @Test
        void allocateBlocksWithMaxWait_cancelledWhileWaiting_takesNothingAndFreesTheSequence() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> elsewhere = m.tryAllocate(4).block(TIMEOUT);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            StepVerifier.create(seq.allocateBlocks(2, m, Duration.ofSeconds(5)))
                    .expectSubscription()
                    .then(() -> assertThat(m.pendingAllocations()).isEqualTo(1))
                    .thenCancel()
                    .verify(TIMEOUT);

            elsewhere.forEach(MutableBlock::close);
            assertThat(seq.unassignedBlocks()).isZero();
            assertThat(m.availableBlocks()).isEqualTo(4);
            // the guard is released: the sequence accepts the next operation
            assertThat(seq.allocateBlocks(1, m).block(TIMEOUT)).isTrue();
            seq.release();
        }

        @Test
        void allocateBlocksWithMaxWait_badWait_throwsAtOnce() {
            BlockManager m = TestManagers.create(4);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            assertThatThrownBy(() -> seq.allocateBlocks(1, m, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxWait must be positive, got PT0S");
        }

        @Test
        void allocateBlocks_closedManager_failsAndHoldsNothing() {
            BlockManager m = TestManagers.create(4);
            m.close().block(TIMEOUT);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            StepVerifier.create(seq.allocateBlocks(1, m))
                    .expectError(ManagerClosedException.class)
                    .verify(TIMEOUT);
            assertThat(seq.unassignedBlocks()).isZero();
        }
    }

    @Nested
    class ReleaseAndReacquire {

        @Test
        void release_returnsEveryBlock_andIsIdempotent() {
            // kvbm-seq-events §6 invariant 52
            BlockManager m = TestManagers.create(20);
            RequestSequence seq = new RequestSequence(tokens(8), 10, BS);
            prefill(seq, m);
            assertThat(m.availableBlocks()).isEqualTo(17);

            seq.release();

            assertThat(m.availableBlocks()).isEqualTo(20);
            assertThat(m.inactiveBlocks()).isEqualTo(2);
            assertThat(seq.assignedBlocks() + seq.unassignedBlocks()).isZero();
            seq.release();
            assertThat(m.availableBlocks()).isEqualTo(20);
        }

        @Test
        void close_droppingTheSequence_returnsEveryBlock() {
            // kvbm-seq-events §6 invariant 52
            BlockManager m = TestManagers.create(20);
            try (RequestSequence seq = new RequestSequence(tokens(8), 10, BS)) {
                prefill(seq, m);
                assertThat(m.availableBlocks()).isEqualTo(17);
            }
            assertThat(m.availableBlocks()).isEqualTo(20);
        }

        @Test
        void reacquire_afterRelease_restoresTheCompleteBlocksAndKeepsGeneratedTokens() {
            // kvbm-seq-events §6 invariant 53
            BlockManager m = TestManagers.create(20);
            try (RequestSequence seq = new RequestSequence(tokens(8), 10, BS)) {
                prefill(seq, m);
                seq.appendToken(100);
                seq.appendToken(101);
                seq.release();

                assertThat(seq.reacquire(m).block(TIMEOUT)).isTrue();

                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(seq.generatedTokens()).isEqualTo(2);
                assertThat(seq.prefixMatchedBlocks()).isEqualTo(2);
            }
        }

        @Test
        void reacquire_afterEviction_reallocatesAndRegistersTheMissingBlocks() {
            BlockManager m = TestManagers.create(3);
            try (RequestSequence seq = new RequestSequence(tokens(12), 0, BS)) {
                prefill(seq, m);
                seq.release();
                // evict the tail block
                m.tryAllocate(1).block(TIMEOUT).forEach(MutableBlock::close);

                assertThat(seq.reacquire(m).block(TIMEOUT)).isTrue();

                assertThat(seq.prefixMatchedBlocks()).isEqualTo(2);
                assertThat(seq.assignedBlocks()).isEqualTo(3);
                assertThat(m.match(seq.sequenceHashes()).collectList().block(TIMEOUT))
                        .hasSize(3)
                        .allSatisfy(ImmutableBlock::close);
            }
        }

        @Test
        void reacquire_poolExhausted_falseAndHoldsNothing() {
            // kvbm-seq-events §6 invariant 53
            BlockManager m = TestManagers.create(4);
            RequestSequence seq = new RequestSequence(tokens(8), 10, BS);
            prefill(seq, m);
            seq.release();
            List<MutableBlock> elsewhere = m.tryAllocate(4).block(TIMEOUT); // evicts the cached blocks too

            assertThat(seq.reacquire(m).block(TIMEOUT)).isFalse();

            assertThat(seq.assignedBlocks() + seq.stagedBlocks() + seq.unassignedBlocks())
                    .isZero();
            assertThat(seq.prefixMatchedBlocks()).isZero();
            elsewhere.forEach(MutableBlock::close);
        }

        @Test
        void reacquire_prefixCachedButNoRoomForTheRest_releasesTheMatchedBlocksToo() {
            BlockManager m = TestManagers.create(3);
            cache(m, BlockSequence.of(tokens(4), BS).blocks());
            List<MutableBlock> elsewhere = m.tryAllocate(2).block(TIMEOUT);
            RequestSequence seq = new RequestSequence(tokens(12), 1, BS);

            assertThat(seq.reacquire(m).block(TIMEOUT)).isFalse();

            assertThat(seq.pageIndices()).isEmpty();
            assertThat(m.inactiveBlocks()).isEqualTo(1);
            elsewhere.forEach(MutableBlock::close);
        }

        @Test
        void reacquire_whileHoldingBlocks_failsWithIllegalState() {
            BlockManager m = TestManagers.create(4);
            try (RequestSequence seq = new RequestSequence(tokens(8), 1, BS)) {
                seq.allocateBlocks(1, m).block(TIMEOUT);

                StepVerifier.create(seq.reacquire(m))
                        .expectError(IllegalStateException.class)
                        .verify(TIMEOUT);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
            }
        }

        @Test
        void reacquire_closedManager_failsAndHoldsNothing() {
            BlockManager m = TestManagers.create(4);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);
            prefill(seq, m);
            seq.release();
            m.close().block(TIMEOUT);

            StepVerifier.create(seq.reacquire(m))
                    .expectError(ManagerClosedException.class)
                    .verify(TIMEOUT);
            assertThat(seq.pageIndices()).isEmpty();
        }
    }

    @Nested
    class SingleOwner {

        @Test
        void operations_withTheBlocksOfAnotherManager_failWithIllegalArgument() {
            BlockManager first = TestManagers.create(4);
            BlockManager second = TestManagers.create(4);
            try (RequestSequence seq = new RequestSequence(tokens(8), 1, BS)) {
                seq.allocateBlocks(2, first).block(TIMEOUT);

                StepVerifier.create(seq.completeAndRegisterPending(second))
                        .expectErrorSatisfies(e -> assertThat(e)
                                .isInstanceOf(IllegalArgumentException.class)
                                .hasMessageContaining("holds blocks of manager " + first.id()))
                        .verify(TIMEOUT);
                assertThat(seq.unassignedBlocks()).isEqualTo(2);
                seq.release();
                assertThat(seq.allocateBlocks(1, second).block(TIMEOUT)).isTrue();
            }
        }

        @Test
        void operationWhileAnotherIsInFlight_isRefused() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> elsewhere = m.tryAllocate(4).block(TIMEOUT);
            RequestSequence seq = new RequestSequence(tokens(8), 1, BS);

            StepVerifier.create(seq.allocateBlocks(1, m, Duration.ofSeconds(5)))
                    .expectSubscription()
                    .then(() -> {
                        assertThatThrownBy(seq::release)
                                .isInstanceOf(IllegalStateException.class)
                                .hasMessageContaining("release refused: another operation");
                        StepVerifier.create(seq.allocateBlocks(1, m))
                                .expectError(IllegalStateException.class)
                                .verify(TIMEOUT);
                        elsewhere.forEach(MutableBlock::close);
                    })
                    .expectNext(true)
                    .verifyComplete();
            seq.release();
        }

        @Test
        void nextOperation_startedFromOnNext_isAccepted() {
            BlockManager m = TestManagers.create(4);
            try (RequestSequence seq = new RequestSequence(tokens(8), 1, BS)) {
                Boolean both = seq.allocateBlocks(2, m)
                        .flatMap(ok -> seq.completeAndRegisterPending(m))
                        .map(registered -> registered == 2)
                        .block(TIMEOUT);

                assertThat(both).isTrue();
            }
        }

        @Test
        void toString_namesTheCounts() {
            RequestSequence seq = new RequestSequence(tokens(9), 10, BS);
            seq.appendToken(1);

            assertThat(seq)
                    .hasToString("RequestSequence[tokens=10 (input 9, generated 1 of 10), blocks=2, assigned=0, "
                            + "staged=0, unassigned=0, prefixMatched=0]");
        }
    }
}
