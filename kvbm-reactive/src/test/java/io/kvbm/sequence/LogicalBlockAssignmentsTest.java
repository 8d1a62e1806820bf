package io.kvbm.sequence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.BlockSizeMismatchException;
import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.DuplicationPolicy;
import io.kvbm.manager.ManagerClosedException;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * {@link LogicalBlockAssignments}: the guard-level phases, their order, registration through the manager, and the
 * rule that no error path leaks a guard (the invariants extension checks the books after every test).
 */
class LogicalBlockAssignmentsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int BS = TestManagers.BLOCK_SIZE;

    private static List<MutableBlock> allocate(BlockManager m, int n) {
        List<MutableBlock> blocks = m.tryAllocate(n).block(TIMEOUT);
        assertThat(blocks).as("%d free blocks", n).isNotNull();
        return blocks;
    }

    private static List<TokenBlock> tokenBlocks(int start, int count) {
        return BlockSequence.of(TestTokens.range(start, count * BS), BS).blocks();
    }

    private static List<Integer> ids(List<?> guards) {
        List<Integer> ids = new ArrayList<>();
        for (Object guard : guards) {
            if (guard instanceof MutableBlock) {
                ids.add(((MutableBlock) guard).blockId());
            } else if (guard instanceof CompleteBlock) {
                ids.add(((CompleteBlock) guard).blockId());
            } else {
                ids.add(((ImmutableBlock) guard).blockId());
            }
        }
        return ids;
    }

    /** Registers blocks for {@code tokenBlocks}; the caller owns the handles. */
    private static List<ImmutableBlock> registered(BlockManager m, List<TokenBlock> tokenBlocks) {
        List<MutableBlock> blocks = allocate(m, tokenBlocks.size());
        List<CompleteBlock> staged = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            staged.add(blocks.get(i).complete(tokenBlocks.get(i)));
        }
        return m.registerAll(staged).block(TIMEOUT);
    }

    @Nested
    class Phases {

        @Test
        void new_isEmptyAndContainsNothing() {
            // kvbm-seq-events §6 invariant 37
            LogicalBlockAssignments a = new LogicalBlockAssignments();

            assertThat(a.isEmpty()).isTrue();
            assertThat(a.assignedCount() + a.stagedCount() + a.unassignedCount())
                    .isZero();
            assertThat(a.contains(0)).isFalse();
            assertThat(a.allBlockIds()).isEmpty();
        }

        @Test
        void extendBlocks_keepsFifoOrder() {
            // kvbm-seq-events §6 invariant 38
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                List<MutableBlock> first = allocate(m, 2);
                List<MutableBlock> second = allocate(m, 2);

                assertThat(a.extendBlocks(first)).isEqualTo(2);
                assertThat(a.extendBlocks(second)).isEqualTo(2);

                List<Integer> expected = new ArrayList<>(ids(first));
                expected.addAll(ids(second));
                assertThat(ids(a.unassigned())).isEqualTo(expected);
                assertThat(a.getUnassigned(0)).containsSame(first.get(0));
            }
        }

        @Test
        void extendAssigned_keepsInputOrderAndHashes() {
            // kvbm-seq-events §6 invariant 38
            BlockManager m = TestManagers.create(8);
            List<TokenBlock> tokens = tokenBlocks(0, 3);
            List<ImmutableBlock> handles = registered(m, tokens);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                assertThat(a.extendAssigned(handles)).isEqualTo(3);

                assertThat(ids(a.assigned())).isEqualTo(ids(handles));
                for (int i = 0; i < 3; i++) {
                    assertThat(a.getAssigned(i).orElseThrow().sequenceHash())
                            .isEqualTo(tokens.get(i).sequenceHash());
                }
            }
        }

        @Test
        void contains_coversAllThreePhases_twoOfEach() {
            // kvbm-seq-events §6 invariant 38
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                List<TokenBlock> tokens = tokenBlocks(0, 4);
                a.extendAssigned(registered(m, tokens.subList(0, 2)));
                a.extendBlocks(allocate(m, 4));
                a.stage(tokens.subList(2, 4));

                assertThat(a.assignedCount()).isEqualTo(2);
                assertThat(a.stagedCount()).isEqualTo(2);
                assertThat(a.unassignedCount()).isEqualTo(2);
                assertThat(a.allBlockIds()).hasSize(6).allMatch(a::contains);
                List<Integer> ordered = new ArrayList<>(ids(a.assigned()));
                ordered.addAll(ids(a.staged()));
                ordered.addAll(ids(a.unassigned()));
                assertThat(a.allBlockIds()).isEqualTo(ordered);
                assertThat(a.contains(7)).isFalse();
            }
        }

        @Test
        void getters_outOfRange_areEmpty() {
            // kvbm-seq-events §6 invariant 44
            LogicalBlockAssignments a = new LogicalBlockAssignments();

            assertThat(a.getAssigned(0)).isEmpty();
            assertThat(a.getStaged(-1)).isEmpty();
            assertThat(a.getUnassigned(3)).isEmpty();
        }
    }

    @Nested
    class Stage {

        @Test
        void stage_drainsTheSmallerOfSliceAndUnassigned_fifo() {
            // kvbm-seq-events §6 invariant 39
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                List<MutableBlock> blocks = allocate(m, 4);
                a.extendBlocks(blocks);
                List<TokenBlock> tokens = tokenBlocks(0, 2);

                assertThat(a.stage(tokens)).isEqualTo(2);

                assertThat(ids(a.staged())).isEqualTo(ids(blocks.subList(0, 2)));
                assertThat(a.staged())
                        .extracting(CompleteBlock::sequenceHash)
                        .containsExactly(
                                tokens.get(0).sequenceHash(), tokens.get(1).sequenceHash());
                assertThat(ids(a.unassigned())).isEqualTo(ids(blocks.subList(2, 4)));
            }
        }

        @Test
        void stage_longerSliceThanUnassigned_stagesOnlyTheUnassigned() {
            // kvbm-seq-events §6 invariant 39
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                a.extendBlocks(allocate(m, 1));

                assertThat(a.stage(tokenBlocks(0, 3))).isEqualTo(1);
                assertThat(a.unassignedCount()).isZero();
            }
        }

        @Test
        void stage_emptySliceOrNothingUnassigned_stagesNothing() {
            // kvbm-seq-events §6 invariant 39
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                assertThat(a.stage(tokenBlocks(0, 2))).isZero();
                a.extendBlocks(allocate(m, 2));
                assertThat(a.stage(List.of())).isZero();
                assertThat(a.unassignedCount()).isEqualTo(2);
            }
        }

        @Test
        void stage_tokenBlocksOfEightIntoBlocksOfFour_mismatchAndNothingStagedByTheCall() {
            // kvbm-seq-events §6 invariant 40 (kvbm hands the failed block back out of the store and keeps earlier
            // blocks of the same call staged; here the call stages nothing and every block stays unassigned)
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                List<MutableBlock> blocks = allocate(m, 3);
                a.extendBlocks(blocks);
                a.stage(tokenBlocks(0, 1)); // an earlier call: stays staged
                List<TokenBlock> eights =
                        BlockSequence.of(TestTokens.range(0, 16), 8).blocks();

                assertThatThrownBy(() -> a.stage(eights))
                        .isInstanceOfSatisfying(BlockSizeMismatchException.class, e -> {
                            assertThat(e.expected()).isEqualTo(4);
                            assertThat(e.actual()).isEqualTo(8);
                            assertThat(e.getMessage())
                                    .contains("block " + blocks.get(1).blockId());
                        });

                assertThat(ids(a.staged())).containsExactly(blocks.get(0).blockId());
                assertThat(ids(a.unassigned())).isEqualTo(ids(blocks.subList(1, 3)));
                // the blocks are still usable
                assertThat(a.stage(tokenBlocks(4, 2))).isEqualTo(2);
            }
        }

        @Test
        void stage_mismatchOnALaterBlock_stagesNoneOfTheCall() {
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                a.extendBlocks(allocate(m, 2));
                List<TokenBlock> mixed = List.of(
                        tokenBlocks(0, 1).get(0),
                        BlockSequence.of(TestTokens.range(0, 8), 8).blocks().get(0));

                assertThatThrownBy(() -> a.stage(mixed)).isInstanceOf(BlockSizeMismatchException.class);
                assertThat(a.stagedCount()).isZero();
                assertThat(a.unassignedCount()).isEqualTo(2);
            }
        }
    }

    @Nested
    class Register {

        @Test
        void register_movesEveryStagedBlockToAssignedInOrder() {
            // kvbm-seq-events §6 invariant 41
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                List<MutableBlock> blocks = allocate(m, 3);
                a.extendBlocks(blocks);
                List<TokenBlock> tokens = tokenBlocks(0, 3);
                a.stage(tokens);

                assertThat(a.register(m).block(TIMEOUT)).isEqualTo(3);

                assertThat(a.stagedCount()).isZero();
                assertThat(ids(a.assigned())).isEqualTo(ids(blocks));
                assertThat(a.assigned())
                        .extracting(ImmutableBlock::sequenceHash)
                        .containsExactly(
                                tokens.get(0).sequenceHash(),
                                tokens.get(1).sequenceHash(),
                                tokens.get(2).sequenceHash());
                assertThat(m.stats().registrations()).isEqualTo(3);
            }
        }

        @Test
        void register_nothingStaged_emitsZeroWithoutTouchingTheManager() {
            // kvbm-seq-events §6 invariant 41
            BlockManager m = TestManagers.create(4);

            StepVerifier.create(new LogicalBlockAssignments().register(m))
                    .expectNext(0)
                    .verifyComplete();
            assertThat(m.stats().registrations()).isZero();
        }

        @Test
        void register_isColdAndEachSubscriptionRegistersWhatIsStagedThen() {
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                a.extendBlocks(allocate(m, 2));
                Mono<Integer> register = a.register(m);
                a.stage(tokenBlocks(0, 1));
                assertThat(m.stats().registrations()).isZero();

                assertThat(register.block(TIMEOUT)).isEqualTo(1);
                a.stage(tokenBlocks(0, 2).subList(1, 2));
                assertThat(register.block(TIMEOUT)).isEqualTo(1);
                assertThat(a.assignedCount()).isEqualTo(2);
            }
        }

        @Test
        void register_underRejectDedup_keepsTheExistingBlocksId() {
            BlockManager m = TestManagers.create(8, b -> b.duplicationPolicy(DuplicationPolicy.REJECT));
            List<TokenBlock> tokens = tokenBlocks(0, 2);
            List<ImmutableBlock> first = registered(m, tokens);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                a.extendBlocks(allocate(m, 2));
                a.stage(tokens);

                a.register(m).block(TIMEOUT);

                // The staged slots went back to the reset pool; the data lives in the first request's blocks.
                assertThat(ids(a.assigned())).isEqualTo(ids(first));
                assertThat(a.allBlockIds()).isEqualTo(ids(first));
                assertThat(m.resetBlocks()).isEqualTo(6);
            } finally {
                first.forEach(ImmutableBlock::close);
            }
        }

        @Test
        void register_sameHashStagedTwiceUnderReject_keepsTheStagedIdForTheSecond() {
            BlockManager m = TestManagers.create(8, b -> b.duplicationPolicy(DuplicationPolicy.REJECT));
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                List<MutableBlock> blocks = allocate(m, 2);
                a.extendBlocks(blocks);
                TokenBlock same = tokenBlocks(0, 1).get(0);
                a.stage(List.of(same, same));

                assertThat(a.register(m).block(TIMEOUT)).isEqualTo(2);

                assertThat(a.allBlockIds()).containsExactlyElementsOf(ids(blocks));
                assertThat(a.getAssigned(1).orElseThrow().blockId())
                        .isEqualTo(blocks.get(0).blockId());
            }
        }

        @Test
        void register_cancelledAfterSubscribe_stillRecordsTheHandles() {
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                a.extendBlocks(allocate(m, 2));
                a.stage(tokenBlocks(0, 2));

                StepVerifier.create(a.register(m), 0).thenCancel().verify(TIMEOUT);

                assertThat(a.assignedCount()).isEqualTo(2);
                assertThat(a.stagedCount()).isZero();
                assertThat(m.stats().inflightImmutable()).isEqualTo(2);
            }
        }

        @Test
        void register_closedManager_failsAndTheBlocksStayStaged() {
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                a.extendBlocks(allocate(m, 2));
                a.stage(tokenBlocks(0, 2));
                m.close().block(TIMEOUT);

                StepVerifier.create(a.register(m))
                        .expectError(ManagerClosedException.class)
                        .verify(TIMEOUT);

                assertThat(a.stagedCount()).isEqualTo(2);
                assertThat(a.assignedCount()).isZero();
            }
        }

        @Test
        void extendAssigned_blocksMatchedAfterRegisterAndRelease_carryTheRightHashes() {
            // kvbm-seq-events §6 invariant 42
            BlockManager m = TestManagers.create(8);
            List<TokenBlock> tokens = tokenBlocks(0, 3);
            registered(m, tokens).forEach(ImmutableBlock::close);
            assertThat(m.inactiveBlocks()).isEqualTo(3);
            List<SequenceHash> hashes =
                    tokens.stream().map(TokenBlock::sequenceHash).toList();
            List<ImmutableBlock> matched = m.match(hashes).collectList().block(TIMEOUT);

            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                a.extendAssigned(matched);

                assertThat(a.assigned())
                        .extracting(ImmutableBlock::sequenceHash)
                        .isEqualTo(hashes);
                assertThat(m.inactiveBlocks()).isZero();
            }
            assertThat(m.inactiveBlocks()).isEqualTo(3);
        }
    }

    @Nested
    class RefusedBatches {

        @Test
        void extendAssigned_idAlreadyAssigned_handsBackTheWholeBatchAndCommitsNothing() {
            // kvbm-seq-events §6 invariant 43
            BlockManager m = TestManagers.create(8);
            List<ImmutableBlock> handles = registered(m, tokenBlocks(0, 2));
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                a.extendAssigned(List.of(handles.get(0)));
                ImmutableBlock again = handles.get(0).retain();
                List<ImmutableBlock> batch = List.of(handles.get(1), again);

                assertThatThrownBy(() -> a.extendAssigned(batch))
                        .isInstanceOfSatisfying(LogicalBlockAssignmentException.class, e -> {
                            assertThat(e.kind())
                                    .isEqualTo(LogicalBlockAssignmentException.Kind.DUPLICATE_ASSIGNED_BLOCK_ID);
                            assertThat(e.blockId()).isEqualTo(handles.get(0).blockId());
                            assertThat(e.immutableBlocks()).containsExactly(handles.get(1), again);
                            assertThat(e.mutableBlocks()).isEmpty();
                            e.closeBlocks();
                        });
                assertThat(a.assignedCount()).isEqualTo(1);
                assertThat(a.contains(handles.get(1).blockId())).isFalse();
            }
        }

        @Test
        void extendAssigned_sameIdTwiceInOneBatch_handsBackTheWholeBatch() {
            // kvbm-seq-events §6 invariant 43
            BlockManager m = TestManagers.create(8);
            List<ImmutableBlock> handles = registered(m, tokenBlocks(0, 1));
            ImmutableBlock twin = handles.get(0).retain();
            LogicalBlockAssignments a = new LogicalBlockAssignments();

            assertThatThrownBy(() -> a.extendAssigned(List.of(handles.get(0), twin)))
                    .isInstanceOfSatisfying(LogicalBlockAssignmentException.class, e -> {
                        assertThat(e.immutableBlocks()).hasSize(2);
                        e.closeBlocks();
                        e.closeBlocks(); // idempotent
                    });
            assertThat(a.isEmpty()).isTrue();
            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @Test
        void extendBlocks_duplicateId_handsBackTheWholeBatchAndTakesNothing() {
            BlockManager m = TestManagers.create(8);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                List<MutableBlock> held = allocate(m, 1);
                a.extendBlocks(held);
                List<MutableBlock> fresh = allocate(m, 2);
                List<MutableBlock> batch = List.of(fresh.get(0), fresh.get(1), held.get(0));

                assertThatThrownBy(() -> a.extendBlocks(batch))
                        .isInstanceOfSatisfying(LogicalBlockAssignmentException.class, e -> {
                            assertThat(e.kind()).isEqualTo(LogicalBlockAssignmentException.Kind.DUPLICATE_BLOCK_ID);
                            assertThat(e.blockId()).isEqualTo(held.get(0).blockId());
                            assertThat(e.mutableBlocks()).isEqualTo(batch);
                            assertThatThrownBy(e::position).isInstanceOf(IllegalStateException.class);
                            // the catcher owns the refused batch; the held block is the assignments' own, so only the
                            // fresh ones are closed here
                            fresh.forEach(MutableBlock::close);
                        });
                assertThat(a.unassignedCount()).isEqualTo(1);
                assertThat(m.availableBlocks()).isEqualTo(7);
            }
        }

        @Test
        void extendBlocks_nullElement_takesNothing() {
            BlockManager m = TestManagers.create(4);
            LogicalBlockAssignments a = new LogicalBlockAssignments();
            List<MutableBlock> blocks = new ArrayList<>(allocate(m, 1));
            blocks.add(null);

            assertThatThrownBy(() -> a.extendBlocks(blocks))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("blocks[1]");
            assertThat(a.isEmpty()).isTrue();
            blocks.get(0).close();
        }
    }

    @Nested
    class Removal {

        @Test
        void clear_emptiesAndReturnsEveryBlock() {
            // kvbm-seq-events §6 invariant 44
            BlockManager m = TestManagers.create(8);
            LogicalBlockAssignments a = new LogicalBlockAssignments();
            List<TokenBlock> tokens = tokenBlocks(0, 3);
            a.extendAssigned(registered(m, tokens.subList(0, 1)));
            a.extendBlocks(allocate(m, 3));
            a.stage(tokens.subList(1, 2));

            a.clear();

            assertThat(a.isEmpty()).isTrue();
            assertThat(m.availableBlocks()).isEqualTo(8);
            assertThat(m.inactiveBlocks()).isEqualTo(1);
            a.clear(); // idempotent
            a.close();
        }

        @Test
        void take_drainsEachPhaseInOrder_andTheCallerOwnsTheGuards() {
            // kvbm-seq-events §6 invariant 44
            BlockManager m = TestManagers.create(8);
            LogicalBlockAssignments a = new LogicalBlockAssignments();
            List<TokenBlock> tokens = tokenBlocks(0, 4);
            List<ImmutableBlock> hits = registered(m, tokens.subList(0, 2));
            a.extendAssigned(hits);
            List<MutableBlock> fresh = allocate(m, 4);
            a.extendBlocks(fresh);
            a.stage(tokens.subList(2, 4));

            List<ImmutableBlock> assigned = a.takeAssigned();
            List<CompleteBlock> staged = a.takeStaged();
            List<MutableBlock> unassigned = a.takeUnassigned();

            assertThat(assigned).isEqualTo(hits);
            assertThat(ids(staged)).isEqualTo(ids(fresh.subList(0, 2)));
            assertThat(unassigned).isEqualTo(fresh.subList(2, 4));
            assertThat(a.isEmpty()).isTrue();
            assertThat(a.allBlockIds()).isEmpty();
            a.clear();
            assertThat(m.availableBlocks()).isEqualTo(2); // clearing the emptied assignments closed nothing
            assigned.forEach(ImmutableBlock::close);
            staged.forEach(CompleteBlock::close);
            unassigned.forEach(MutableBlock::close);
        }

        @Test
        void popLastUnassigned_isLifo() {
            BlockManager m = TestManagers.create(4);
            try (LogicalBlockAssignments a = new LogicalBlockAssignments()) {
                List<MutableBlock> blocks = allocate(m, 3);
                a.extendBlocks(blocks);

                MutableBlock last = a.popLastUnassigned().orElseThrow();

                assertThat(last).isSameAs(blocks.get(2));
                assertThat(a.contains(last.blockId())).isFalse();
                last.close();
                a.popLastUnassigned().orElseThrow().close();
                a.popLastUnassigned().orElseThrow().close();
                assertThat(a.popLastUnassigned()).isEmpty();
            }
        }

        @Test
        void clear_releasesTheTailFirst_soLruEvictsTailsBeforePrefixes() {
            BlockManager m = TestManagers.create(3);
            List<TokenBlock> tokens = tokenBlocks(0, 3);
            LogicalBlockAssignments a = new LogicalBlockAssignments();
            a.extendAssigned(registered(m, tokens));
            a.clear();

            // one new block evicts the least recently released cached block: the tail (position 2)
            MutableBlock fresh = allocate(m, 1).get(0);
            List<ImmutableBlock> prefix = m.match(
                            tokens.stream().map(TokenBlock::sequenceHash).toList())
                    .collectList()
                    .block(TIMEOUT);

            assertThat(prefix).hasSize(2);
            prefix.forEach(ImmutableBlock::close);
            fresh.close();
        }
    }
}
