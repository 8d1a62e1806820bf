package io.kvbm.sequence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ExternalBlockAssignments}: ids ↔ hashes at an offset, the three phases, positions, validate-then-commit. */
class ExternalBlockAssignmentsTest {

    private static final int BS = 4;

    /** The complete blocks of a sequence of {@code complete} blocks plus {@code partial} tokens. */
    static List<TokenBlock> blocks(int complete, int partial) {
        return BlockSequence.of(TestTokens.range(0, complete * BS + partial), BS)
                .blocks();
    }

    static List<Integer> ids(int... ids) {
        return IntStream.of(ids).boxed().toList();
    }

    /** Ids 100, 200, ... (count of them). */
    static List<Integer> hundreds(int count) {
        return IntStream.rangeClosed(1, count).map(i -> i * 100).boxed().toList();
    }

    static void assertUnchanged(ExternalBlockAssignments a, List<BlockAssignment> assigned, List<Integer> unassigned) {
        assertThat(a.assigned()).isEqualTo(assigned);
        assertThat(a.staged()).isEmpty();
        assertThat(a.unassigned()).isEqualTo(unassigned);
    }

    @Nested
    class AssignPending {

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 3, 5})
        void assignPending_noIds_assignsNothing(int complete) {
            // kvbm-seq-events §6 invariant 21
            ExternalBlockAssignments a = new ExternalBlockAssignments();

            IndexRange range = a.assignPending(blocks(complete, 2));

            assertThat(range.isEmpty()).isTrue();
            assertThat(a.assignedCount()).isZero();
            assertThat(a.unassignedCount()).isZero();
            assertThat(a.isEmpty()).isTrue();
        }

        @Test
        void assignPending_threeIdsThreeBlocks_pairsEachIdWithItsPositionsHash() {
            // kvbm-seq-events §6 invariant 22
            List<TokenBlock> blocks = blocks(3, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(100, 200, 300));

            assertThat(a.assignPending(blocks)).isEqualTo(IndexRange.of(0, 3));
            for (int i = 0; i < 3; i++) {
                assertThat(a.getAssigned(i))
                        .contains(
                                new BlockAssignment((i + 1) * 100, blocks.get(i).sequenceHash()));
            }
            assertThat(a.unassignedCount()).isZero();
        }

        @Test
        void assignPending_moreIdsThanBlocks_excessStaysUnassignedInFifoOrder() {
            // kvbm-seq-events §6 invariant 22
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(100, 200, 300, 400));

            assertThat(a.assignPending(blocks(1, 0))).isEqualTo(IndexRange.of(0, 1));
            assertThat(a.unassigned()).containsExactly(200, 300, 400);
        }

        static Stream<Arguments> completeTimesPartial() {
            List<Arguments> args = new ArrayList<>();
            for (int complete : new int[] {0, 1, 3, 5}) {
                for (int partial : new int[] {0, 1, 3}) {
                    args.add(Arguments.of(complete, partial));
                }
            }
            return args.stream();
        }

        @ParameterizedTest(name = "{0} complete blocks + {1} partial tokens")
        @MethodSource("completeTimesPartial")
        void assignPending_partialTailBlock_isNeverAssigned(int complete, int partial) {
            // kvbm-seq-events §6 invariant 22
            List<TokenBlock> blocks = blocks(complete, partial);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(hundreds(complete + 2));

            IndexRange range = a.assignPending(blocks);

            assertThat(range).isEqualTo(IndexRange.of(0, complete));
            assertThat(a.assignedCount()).isEqualTo(complete);
            assertThat(a.unassignedCount()).isEqualTo(2);
            for (int i = 0; i < complete; i++) {
                assertThat(a.getAssigned(i).orElseThrow().sequenceHash())
                        .isEqualTo(blocks.get(i).sequenceHash());
            }
        }

        @Test
        void assignPending_idsInAnyOrder_getHashesInIdOrder() {
            // kvbm-seq-events §6 invariant 23
            List<TokenBlock> blocks = blocks(4, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(999, 888, 777, 666));

            a.assignPending(blocks);

            assertThat(a.assigned())
                    .containsExactly(
                            new BlockAssignment(999, blocks.get(0).sequenceHash()),
                            new BlockAssignment(888, blocks.get(1).sequenceHash()),
                            new BlockAssignment(777, blocks.get(2).sequenceHash()),
                            new BlockAssignment(666, blocks.get(3).sequenceHash()));
        }

        @Test
        void assignPending_growingSequence_consumesOlderUnassignedIdsFirst() {
            // kvbm-seq-events §6 invariant 25
            BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 20), BS); // 5 blocks
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(100, 200, 300, 400, 500, 600, 700));
            assertThat(a.assignPending(sequence.blocks())).isEqualTo(IndexRange.of(0, 5));
            assertThat(a.unassigned()).containsExactly(600, 700);

            sequence.extendTokens(TestTokens.range(20, 8)); // 7 blocks
            a.extendBlockIds(ids(100, 200, 300, 400, 500, 600, 700, 800, 900));

            assertThat(a.assignPending(sequence.blocks())).isEqualTo(IndexRange.of(5, 7));
            assertThat(a.getAssigned(5).orElseThrow().blockId()).isEqualTo(600);
            assertThat(a.getAssigned(6).orElseThrow().blockId()).isEqualTo(700);
            assertThat(a.unassigned()).containsExactly(800, 900);
        }

        @Test
        void assignPending_growthWithRoomForPartOfTheQueue_placesOldestFirst() {
            // kvbm-seq-events §6 invariant 25 (partial space)
            BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 8), BS); // 2 blocks
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2, 3, 4));
            a.assignPending(sequence.blocks());

            sequence.extendTokens(TestTokens.range(8, 4)); // 3 blocks: room for one of [3, 4]
            a.extendBlockIds(ids(1, 2, 3, 4, 5));

            assertThat(a.assignPending(sequence.blocks())).isEqualTo(IndexRange.of(2, 3));
            assertThat(a.getAssigned(2).orElseThrow().blockId()).isEqualTo(3);
            assertThat(a.unassigned()).containsExactly(4, 5);
        }

        @Test
        void assignPending_growthThatExactlyFillsTheQueue_leavesNothingUnassigned() {
            // kvbm-seq-events §6 invariant 25 (exact fill)
            BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 4), BS);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2, 3));
            a.assignPending(sequence.blocks());

            sequence.extendTokens(TestTokens.range(4, 8));

            assertThat(a.assignPending(sequence.blocks())).isEqualTo(IndexRange.of(1, 3));
            assertThat(a.assigned()).extracting(BlockAssignment::blockId).containsExactly(1, 2, 3);
            assertThat(a.unassignedCount()).isZero();
        }

        @Test
        void assignPending_shorterSliceThanAssigned_neverShrinksNorMoves() {
            // kvbm-seq-events §6 invariant 27
            List<TokenBlock> blocks = blocks(4, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2, 3, 4, 5));
            a.assignPending(blocks);
            List<BlockAssignment> before = a.assigned();

            IndexRange range = a.assignPending(blocks.subList(0, 2));

            assertThat(range).isEqualTo(IndexRange.empty(4));
            assertThat(a.assigned()).isEqualTo(before);
            assertThat(a.unassigned()).containsExactly(5);
            assertThat(a.stagedCount()).isZero();
        }
    }

    @Nested
    class ExtendBlockIds {

        @Test
        void extendBlockIds_knownPrefixResent_isSkippedAndRangesAreInAssignedSpace() {
            // kvbm-seq-events §6 invariant 24
            List<TokenBlock> blocks = blocks(4, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(100, 200));
            assertThat(a.assignPending(blocks)).isEqualTo(IndexRange.of(0, 2));

            assertThat(a.extendBlockIds(ids(100, 200, 300, 400))).isEqualTo(2);
            assertThat(a.assignPending(blocks)).isEqualTo(IndexRange.of(2, 4));

            assertThat(a.extendBlockIds(ids(100, 200, 300, 400))).isZero();
            assertThat(a.assignPending(blocks)).isEqualTo(IndexRange.of(4, 4));
            assertThat(a.assigned()).extracting(BlockAssignment::blockId).containsExactly(100, 200, 300, 400);
        }

        @Test
        void extendBlockIds_onlyDuplicates_returnsEmptyRangeAtTheEnd() {
            // kvbm-seq-events §6 invariant 24
            List<TokenBlock> blocks = blocks(3, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2, 3));
            a.assignPending(blocks);

            a.extendBlockIds(ids(1, 2, 3));

            assertThat(a.assignPending(blocks)).isEqualTo(IndexRange.of(3, 3));
        }

        @Test
        void extendBlockIds_knownIdAfterNewOne_orderingViolationAndNothingChanges() {
            // kvbm-seq-events §6 invariant 26
            List<TokenBlock> blocks = blocks(2, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(100));
            a.assignPending(blocks);
            List<BlockAssignment> assigned = a.assigned();

            assertThatThrownBy(() -> a.extendBlockIds(ids(200, 100)))
                    .isInstanceOfSatisfying(BlockSequenceException.class, e -> {
                        assertThat(e.kind()).isEqualTo(BlockSequenceException.Kind.ORDERING_VIOLATION);
                        assertThat(e.knownId()).isEqualTo(100);
                        assertThat(e.newId()).isEqualTo(200);
                        assertThat(e.knownIndex()).isEqualTo(1);
                        assertThat(e.firstNewIndex()).isZero();
                        assertThat(e.getMessage()).contains("100", "200");
                    });
            assertUnchanged(a, assigned, List.of());
        }

        @Test
        void extendBlockIds_orderingViolationAfterSeveralNewIds_addsNoneOfThem() {
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1));

            assertThatThrownBy(() -> a.extendBlockIds(ids(1, 2, 3, 1)))
                    .isInstanceOfSatisfying(BlockSequenceException.class, e -> {
                        assertThat(e.knownIndex()).isEqualTo(3);
                        assertThat(e.firstNewIndex()).isEqualTo(1);
                    });
            assertThat(a.unassigned()).containsExactly(1);
        }

        @Test
        void extendBlockIds_newIdTwice_duplicateAndNothingChanges() {
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1));

            assertThatThrownBy(() -> a.extendBlockIds(ids(1, 2, 3, 2)))
                    .isInstanceOfSatisfying(BlockSequenceException.class, e -> {
                        assertThat(e.kind()).isEqualTo(BlockSequenceException.Kind.DUPLICATE_BLOCK_ID);
                        assertThat(e.blockId()).isEqualTo(2);
                        assertThatThrownBy(e::knownId).isInstanceOf(IllegalStateException.class);
                    });
            assertThat(a.unassigned()).containsExactly(1);
        }

        @Test
        void extendBlockIds_badIds_refusedBeforeAnyChange() {
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            List<Integer> withNull = new ArrayList<>(List.of(1, 2));
            withNull.add(null);

            assertThatThrownBy(() -> a.extendBlockIds(ids(1, -3)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blockIds[1] must be >= 0, got -3");
            assertThatThrownBy(() -> a.extendBlockIds(withNull))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("blockIds[2]");
            assertThat(a.isEmpty()).isTrue();
        }
    }

    @Nested
    class Offsets {

        @Test
        void offsetFive_tenBlocksThreeIds_rangeIsRelativeAndHashesAreOfPositionsFiveToSeven() {
            // kvbm-seq-events §6 invariant 28
            List<TokenBlock> blocks = blocks(10, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments(5);
            a.extendBlockIds(ids(100, 200, 300));

            assertThat(a.assignPending(blocks)).isEqualTo(IndexRange.of(0, 3));
            assertThat(a.assigned())
                    .extracting(BlockAssignment::sequenceHash)
                    .containsExactly(
                            blocks.get(5).sequenceHash(),
                            blocks.get(6).sequenceHash(),
                            blocks.get(7).sequenceHash());
            assertThat(a.assigned()).extracting(BlockAssignment::position).containsExactly(5, 6, 7);
            assertThat(a.nextPosition()).isEqualTo(8);
        }

        @Test
        void offsetThree_fiveBlocksThreeIds_onlyTwoPositionsAvailable() {
            // kvbm-seq-events §6 invariant 28
            ExternalBlockAssignments a = new ExternalBlockAssignments(3);
            a.extendBlockIds(ids(1, 2, 3));

            assertThat(a.assignPending(blocks(5, 0))).isEqualTo(IndexRange.of(0, 2));
            assertThat(a.assignedCount()).isEqualTo(2);
            assertThat(a.unassigned()).containsExactly(3);
        }

        @Test
        void clear_keepsTheOffset() {
            // kvbm-seq-events §6 invariant 28
            ExternalBlockAssignments a = new ExternalBlockAssignments(3);
            a.extendBlockIds(ids(1, 2, 3));
            a.assignPending(blocks(5, 0));

            a.clear();

            assertThat(a.isEmpty()).isTrue();
            assertThat(a.offset()).isEqualTo(3);
            assertThat(a.nextPosition()).isEqualTo(3);
            assertThat(a.contains(1)).isFalse();
        }

        @Test
        void twoInstancesAtDifferentOffsets_overTheSameSequence_areIndependent() {
            // kvbm-seq-events §6 invariant 29
            List<TokenBlock> blocks = blocks(6, 0);
            ExternalBlockAssignments g1 = new ExternalBlockAssignments(0);
            ExternalBlockAssignments g2 = new ExternalBlockAssignments(2);
            g1.extendBlockIds(ids(10, 11));
            g2.extendBlockIds(ids(20, 21, 22, 23, 24));

            g1.assignPending(blocks);
            g2.assignPending(blocks);

            assertThat(g1.assigned()).extracting(BlockAssignment::position).containsExactly(0, 1);
            assertThat(g2.assigned()).extracting(BlockAssignment::position).containsExactly(2, 3, 4, 5);
            assertThat(g2.unassigned()).containsExactly(24);
            g1.clear();
            assertThat(g2.assignedCount()).isEqualTo(4);
            assertThat(g2.getAtPosition(2).orElseThrow().blockId()).isEqualTo(20);
        }

        @Test
        void new_offsetOutOfRange_throwsNamingIt() {
            assertThatThrownBy(() -> new ExternalBlockAssignments(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("offset must be in [0, 16777216], got -1");
            assertThat(new ExternalBlockAssignments(SequenceHash.MAX_POSITION + 1).nextPosition())
                    .isEqualTo(SequenceHash.MAX_POSITION + 1);
        }
    }

    @Nested
    class Queries {

        @Test
        void contains_coversAssignedStagedAndUnassigned() {
            // kvbm-seq-events §6 invariant 30
            List<TokenBlock> blocks = blocks(4, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2));
            a.assignPending(blocks);
            a.extendBlockIds(ids(1, 2, 3, 4, 5));
            a.stagePending(blocks.subList(0, 3));

            assertThat(a.assignedCount()).isEqualTo(2);
            assertThat(a.stagedCount()).isEqualTo(1);
            assertThat(a.unassignedCount()).isEqualTo(2);
            assertThat(List.of(1, 2, 3, 4, 5)).allMatch(a::contains);
            assertThat(a.contains(6)).isFalse();
        }

        @Test
        void positionQueries_atOffsetTwo_mapAbsolutePositionsToPhases() {
            // kvbm-seq-events §6 invariant 31
            List<TokenBlock> blocks = blocks(6, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments(2);
            a.extendBlockIds(ids(20, 21));
            a.assignPending(blocks); // positions 2, 3
            a.extendBlockIds(ids(20, 21, 22, 23, 24, 25));
            a.stagePending(blocks.subList(0, 5)); // 22 staged at position 4

            assertThat(a.assignedPositions()).isEqualTo(IndexRange.of(2, 4));
            assertThat(a.stagedPositions()).isEqualTo(IndexRange.of(4, 5));
            assertThat(a.pendingPositions()).isEqualTo(IndexRange.of(5, 8));
            assertThat(a.nextPosition()).isEqualTo(5);

            assertThat(a.getAtPosition(1)).isEmpty();
            assertThat(a.getAtPosition(2).orElseThrow().blockId()).isEqualTo(20);
            assertThat(a.getAtPosition(3).orElseThrow().blockId()).isEqualTo(21);
            assertThat(a.getAtPosition(4)).isEmpty();
            assertThat(a.getAtPosition(-1)).isEmpty();

            assertThat(a.getPendingAtPosition(3)).isEmpty();
            assertThat(a.getPendingAtPosition(4)).isEmpty();
            assertThat(a.getPendingAtPosition(5)).hasValue(23);
            assertThat(a.getPendingAtPosition(6)).hasValue(24);
            assertThat(a.getPendingAtPosition(7)).hasValue(25);
            assertThat(a.getPendingAtPosition(8)).isEmpty();
        }

        @Test
        void getters_outOfRange_areEmpty() {
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1));
            a.assignPending(blocks(1, 0));

            assertThat(a.getAssigned(-1)).isEmpty();
            assertThat(a.getAssigned(1)).isEmpty();
            assertThat(a.getStaged(0)).isEmpty();
        }

        @Test
        void toString_namesOffsetAndCounts() {
            ExternalBlockAssignments a = new ExternalBlockAssignments(2);
            a.extendBlockIds(ids(1, 2));

            assertThat(a).hasToString("ExternalBlockAssignments[offset=2, assigned=0, staged=0, unassigned=2]");
        }
    }

    @Nested
    class StageAndCommit {

        @Test
        void stagePending_thenCommit_rangesRelativeToStagedThenInAssignedSpace() {
            // kvbm-seq-events §6 invariant 34
            List<TokenBlock> blocks = blocks(5, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2, 3, 4, 5));

            assertThat(a.stagePending(blocks.subList(0, 3))).isEqualTo(IndexRange.of(0, 3));
            assertThat(a.stagedCount()).isEqualTo(3);
            assertThat(a.unassignedCount()).isEqualTo(2);
            assertThat(a.nextPosition()).isEqualTo(3);
            assertThat(a.pendingPositions()).isEqualTo(IndexRange.of(3, 5));
            assertThat(a.commitStaged()).isEqualTo(IndexRange.of(0, 3));

            assertThat(a.stagePending(blocks)).isEqualTo(IndexRange.of(0, 2));
            assertThat(a.commitStaged()).isEqualTo(IndexRange.of(3, 5));
            assertThat(a.assigned()).extracting(BlockAssignment::blockId).containsExactly(1, 2, 3, 4, 5);
        }

        @Test
        void stagePending_twice_rangesContinueInTheStagedPhase() {
            List<TokenBlock> blocks = blocks(4, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2, 3, 4));

            assertThat(a.stagePending(blocks.subList(0, 2))).isEqualTo(IndexRange.of(0, 2));
            assertThat(a.stagePending(blocks)).isEqualTo(IndexRange.of(2, 4));
            assertThat(a.staged()).extracting(BlockAssignment::position).containsExactly(0, 1, 2, 3);
        }

        @Test
        void takeStaged_drainsInOrderAndForgetsTheIds() {
            // kvbm-seq-events §6 invariant 34
            List<TokenBlock> blocks = blocks(3, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(7, 8, 9));
            a.stagePending(blocks);

            List<BlockAssignment> taken = a.takeStaged();

            assertThat(taken).extracting(BlockAssignment::blockId).containsExactly(7, 8, 9);
            assertThat(taken).extracting(BlockAssignment::position).containsExactly(0, 1, 2);
            assertThat(a.stagedCount()).isZero();
            assertThat(a.contains(7)).isFalse();
            assertThat(a.nextPosition()).isZero();
        }

        @Test
        void stagePending_blockAtTheWrongPosition_positionMismatchAndNothingStaged() {
            List<TokenBlock> blocks = blocks(4, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2, 3));
            // A slice that starts at position 1: index 0 holds position 1's block, index 1 position 2's, ...
            List<TokenBlock> shifted = blocks.subList(1, 4);

            assertThatThrownBy(() -> a.stagePending(shifted))
                    .isInstanceOfSatisfying(BlockSequenceException.class, e -> {
                        assertThat(e.kind()).isEqualTo(BlockSequenceException.Kind.POSITION_MISMATCH);
                        assertThat(e.expected()).isZero();
                        assertThat(e.actual()).isEqualTo(1);
                        assertThat(e.blockId()).isEqualTo(1);
                    });
            assertUnchanged(a, List.of(), ids(1, 2, 3));
        }

        @Test
        void stagePending_mismatchAfterGoodBlocks_stagesNoneOfThem() {
            // kvbm keeps the blocks staged before the mismatch; here the call is all-or-nothing.
            List<TokenBlock> blocks = new ArrayList<>(blocks(3, 0));
            blocks.set(2, blocks(4, 0).get(3)); // position 3 where position 2 belongs
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(1, 2, 3));

            assertThatThrownBy(() -> a.stagePending(blocks)).isInstanceOfSatisfying(BlockSequenceException.class, e -> {
                assertThat(e.expected()).isEqualTo(2);
                assertThat(e.actual()).isEqualTo(3);
                assertThat(e.blockId()).isEqualTo(3);
            });
            assertUnchanged(a, List.of(), ids(1, 2, 3));
        }

        @Test
        void extendAssigned_insertsDirectlyInInputOrder() {
            // kvbm-seq-events §6 invariant 35
            List<TokenBlock> blocks = blocks(2, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            List<BlockAssignment> hits = List.of(
                    new BlockAssignment(5, blocks.get(0).sequenceHash()),
                    new BlockAssignment(9, blocks.get(1).sequenceHash()));

            assertThat(a.extendAssigned(hits)).isEqualTo(2);
            assertThat(a.assigned()).isEqualTo(hits);
            assertThat(a.nextPosition()).isEqualTo(2);
        }

        @Test
        void extendAssigned_duplicateId_throwsAndAssignedIsUnchanged() {
            // kvbm-seq-events §6 invariant 35
            List<TokenBlock> blocks = blocks(3, 0);
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendAssigned(List.of(new BlockAssignment(5, blocks.get(0).sequenceHash())));
            List<BlockAssignment> before = a.assigned();

            assertThatThrownBy(() -> a.extendAssigned(List.of(
                            new BlockAssignment(6, blocks.get(1).sequenceHash()),
                            new BlockAssignment(5, blocks.get(2).sequenceHash()))))
                    .isInstanceOfSatisfying(BlockSequenceException.class, e -> {
                        assertThat(e.kind()).isEqualTo(BlockSequenceException.Kind.DUPLICATE_BLOCK_ID);
                        assertThat(e.blockId()).isEqualTo(5);
                    });
            assertThatThrownBy(() -> a.extendAssigned(List.of(
                            new BlockAssignment(7, blocks.get(1).sequenceHash()),
                            new BlockAssignment(7, blocks.get(2).sequenceHash()))))
                    .isInstanceOf(BlockSequenceException.class);
            assertThat(a.assigned()).isEqualTo(before);
            assertThat(a.contains(6)).isFalse();
            assertThat(a.contains(7)).isFalse();
        }

        @Test
        void extendAssigned_idHeldAsUnassigned_isADuplicate() {
            ExternalBlockAssignments a = new ExternalBlockAssignments();
            a.extendBlockIds(ids(5));

            assertThatThrownBy(() -> a.extendAssigned(
                            List.of(new BlockAssignment(5, blocks(1, 0).get(0).sequenceHash()))))
                    .isInstanceOf(BlockSequenceException.class);
        }

        @Test
        void extendAssigned_emptyInput_returnsZero() {
            // kvbm-seq-events §6 invariant 35
            assertThat(new ExternalBlockAssignments().extendAssigned(List.of())).isZero();
        }
    }

    @Nested
    class TransferPlans {

        private ExternalBlockAssignments assigned(int offset, int... ids) {
            ExternalBlockAssignments a = new ExternalBlockAssignments(offset);
            a.extendBlockIds(ExternalBlockAssignmentsTest.ids(ids));
            a.assignPending(blocks(offset + ids.length, 0));
            return a;
        }

        @Test
        void zipAssigned_fullOverlap_pairsEveryPosition() {
            // kvbm-seq-events §6 invariant 32
            assertThat(ExternalBlockAssignments.zipAssigned(assigned(0, 1, 2, 3), assigned(0, 11, 12, 13)))
                    .containsExactly(
                            new BlockTransfer(0, 1, 11), new BlockTransfer(1, 2, 12), new BlockTransfer(2, 3, 13));
        }

        @Test
        void zipAssigned_partialOverlap_pairsTheSharedPositions() {
            // kvbm-seq-events §6 invariant 32
            assertThat(ExternalBlockAssignments.zipAssigned(assigned(0, 10, 20, 30, 40), assigned(2, 110, 120, 130)))
                    .containsExactly(new BlockTransfer(2, 30, 110), new BlockTransfer(3, 40, 120));
        }

        @Test
        void zipAssigned_disjointOrEmpty_isEmpty() {
            // kvbm-seq-events §6 invariant 32
            ExternalBlockAssignments empty = new ExternalBlockAssignments();
            assertThat(ExternalBlockAssignments.zipAssigned(assigned(0, 1, 2), assigned(2, 3, 4)))
                    .isEmpty();
            assertThat(ExternalBlockAssignments.zipAssigned(assigned(0, 1, 2), empty))
                    .isEmpty();
            assertThat(ExternalBlockAssignments.zipAssigned(empty, assigned(0, 1, 2)))
                    .isEmpty();
            assertThat(ExternalBlockAssignments.zipAssigned(empty, new ExternalBlockAssignments()))
                    .isEmpty();
        }

        @Test
        void zipAssignedPending_fullPartialNoOverlapAndEmpty() {
            // kvbm-seq-events §6 invariant 33
            ExternalBlockAssignments source = assigned(0, 1, 2, 3);
            ExternalBlockAssignments full = new ExternalBlockAssignments();
            full.extendBlockIds(ids(11, 12, 13));
            assertThat(ExternalBlockAssignments.zipAssignedPending(source, full))
                    .containsExactly(
                            new BlockTransfer(0, 1, 11), new BlockTransfer(1, 2, 12), new BlockTransfer(2, 3, 13));

            ExternalBlockAssignments partial = assigned(0, 21, 22);
            partial.extendBlockIds(ids(21, 22, 23, 24));
            assertThat(ExternalBlockAssignments.zipAssignedPending(source, partial))
                    .containsExactly(new BlockTransfer(2, 3, 23));

            ExternalBlockAssignments beyond = assigned(0, 31, 32, 33);
            beyond.extendBlockIds(ids(31, 32, 33, 34));
            assertThat(ExternalBlockAssignments.zipAssignedPending(source, beyond))
                    .isEmpty();

            assertThat(ExternalBlockAssignments.zipAssignedPending(new ExternalBlockAssignments(), full))
                    .isEmpty();
            assertThat(ExternalBlockAssignments.zipAssignedPending(source, new ExternalBlockAssignments()))
                    .isEmpty();
        }

        @Test
        void zipAssignedPending_onboardingG2ToG1_planBeforeEqualsZipAfterTheCopy() {
            // kvbm-seq-events §6 invariant 33
            List<TokenBlock> blocks = blocks(5, 0);
            ExternalBlockAssignments g1 = new ExternalBlockAssignments(0);
            g1.extendBlockIds(ids(1000, 1001));
            g1.assignPending(blocks);
            ExternalBlockAssignments g2 = new ExternalBlockAssignments(2);
            g2.extendBlockIds(ids(2002, 2003, 2004));
            g2.assignPending(blocks);
            g1.extendBlockIds(ids(1000, 1001, 1002, 1003, 1004));
            assertThat(g1.pendingPositions()).isEqualTo(IndexRange.of(2, 5));

            List<BlockTransfer> plan = ExternalBlockAssignments.zipAssignedPending(g2, g1);

            assertThat(plan)
                    .containsExactly(
                            new BlockTransfer(2, 2002, 1002),
                            new BlockTransfer(3, 2003, 1003),
                            new BlockTransfer(4, 2004, 1004));
            // ... the engine copies each G2 block into its G1 block, then G1 commits them:
            assertThat(g1.assignPending(blocks)).isEqualTo(IndexRange.of(2, 5));
            assertThat(g1.assignedPositions()).isEqualTo(IndexRange.of(0, 5));
            assertThat(ExternalBlockAssignments.zipAssigned(g2, g1)).isEqualTo(plan);
        }
    }
}
