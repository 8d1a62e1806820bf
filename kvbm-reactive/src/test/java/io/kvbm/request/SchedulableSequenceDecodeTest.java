package io.kvbm.request;

import static io.kvbm.request.Sequences.TIMEOUT;
import static io.kvbm.request.Sequences.build;
import static io.kvbm.request.Sequences.decode;
import static io.kvbm.request.Sequences.prefill;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.manager.BlockManager;
import io.kvbm.request.Sequences.Recorder;
import io.kvbm.testing.TestManagers;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * {@link SchedulableSequence} after prefill: decode outcomes and generation blocks, speculative decode with the budget
 * clamp and the LIFO release of excess blocks, revert, dropUnassigned, the dangling-token bookkeeping and a full
 * lifecycle (block size 4).
 */
class SchedulableSequenceDecodeTest {

    @Nested
    class Decode {

        @Test
        void applyDecode_insideABlock_continue() {
            // kvbm-seq-events §6 invariant 58
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);

                assertThat(decode(seq, m, 1001)).isEqualTo(DecodeOutcome.CONTINUE);
                assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
                assertThat(seq.totalTokens()).isEqualTo(10);
            }
        }

        @Test
        void applyDecode_onTheBoundary_blockCompletedAndRegisteredInTheSameApply() {
            // kvbm-seq-events §6 invariant 58
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000); // 9 tokens
                decode(seq, m, 1001); // 10
                decode(seq, m, 1002); // 11
                assertThat(seq.assignedBlocks()).isEqualTo(2);

                assertThat(decode(seq, m, 1003)).isEqualTo(DecodeOutcome.BLOCK_COMPLETED); // 12

                assertThat(seq.assignedBlocks()).isEqualTo(3);
                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(m.match(seq.sequenceHashes()).collectList().block(TIMEOUT))
                        .hasSize(3)
                        .allSatisfy(io.kvbm.block.ImmutableBlock::close);
            }
        }

        @Test
        void applyDecode_lastTokenOfTheBudget_maxLength() {
            // kvbm-seq-events §6 invariant 58
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 2)) {
                prefill(seq, m, 1000);

                DecodeOutcome outcome = decode(seq, m, 1001);

                assertThat(outcome).isEqualTo(DecodeOutcome.MAX_LENGTH);
                assertThat(outcome.maxLength()).isTrue();
                assertThat(outcome.blockCompleted()).isFalse();
                assertThat(seq.isComplete()).isTrue();
            }
        }

        @Test
        void applyDecode_lastTokenCompletesABlock_blockCompletedAndMaxLength() {
            // kvbm-seq-events §6 invariant 58
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 4)) {
                prefill(seq, m, 1000);
                decode(seq, m, 1001);
                decode(seq, m, 1002);

                assertThat(decode(seq, m, 1003)).isEqualTo(DecodeOutcome.BLOCK_COMPLETED_AND_MAX_LENGTH);
                assertThat(seq.assignedBlocks()).isEqualTo(3);
            }
        }

        @Test
        void scheduleDecode_afterCompletion_generationComplete() {
            // kvbm-seq-events §6 invariant 58
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 2)) {
                prefill(seq, m, 1000);
                decode(seq, m, 1001);

                assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ScheduleException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ScheduleException.Kind.GENERATION_COMPLETE);
                            assertThat(e.generated()).isEqualTo(2);
                            assertThat(e.maxOutput()).isEqualTo(2);
                        });
                assertThatThrownBy(() -> seq.scheduleSpeculative(2, m).block(TIMEOUT))
                        .isInstanceOf(ScheduleException.class);
            }
        }

        @Test
        void scheduleDecode_allocatesOneGenerationBlockWhenNoneIsHeld_zeroWhileItLasts() {
            // kvbm-seq-events §6 invariant 59
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);

                assertThat(seq.scheduleDecode(m).block(TIMEOUT)).isEqualTo(SequenceState.decodeScheduled(1));
                seq.applyDecode(1001, m).block(TIMEOUT);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
                assertThat(seq.scheduleDecode(m).block(TIMEOUT)).isEqualTo(SequenceState.decodeScheduled(0));
                seq.applyDecode(1002, m).block(TIMEOUT);
            }
        }

        @Test
        void scheduleDecode_afterThePrefillTokenCompletedABlock_pendingPlusGeneration() {
            // kvbm-seq-events §6 invariant 59
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            try (SchedulableSequence seq = build(7, 10, recorder)) {
                prefill(seq, m, 1000); // token 1000 completes block 1 at the token level
                assertThat(seq.assignedBlocks()).isEqualTo(1);

                assertThat(seq.scheduleDecode(m).block(TIMEOUT)).isEqualTo(SequenceState.decodeScheduled(2));
                assertThat(recorder.last()).isEqualTo(new SequenceEvent.DecodeScheduled(2));
                assertThat(seq.applyDecode(100, m).block(TIMEOUT)).isEqualTo(DecodeOutcome.CONTINUE);

                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
                assertThat(seq.kvPosition()).isEqualTo(8);
                assertThat(seq.tailTokens()).isEqualTo(1);
            }
        }

        @Test
        void applyDecode_acrossTheBoundary_generationBlockIsConsumedAndTheNextDecodeAllocatesOne() {
            // kvbm-seq-events §6 invariant 59
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);
                decode(seq, m, 1001);
                decode(seq, m, 1002);
                decode(seq, m, 1003); // completes block 2 with the generation block

                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(seq.scheduleDecode(m).block(TIMEOUT)).isEqualTo(SequenceState.decodeScheduled(1));
                seq.revertSchedule();
            }
        }

        @Test
        void scheduleDecode_noBlockFree_allocationFailedStillIdle() {
            BlockManager m = TestManagers.create(2);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);

                assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ScheduleException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ScheduleException.Kind.ALLOCATION_FAILED);
                            assertThat(e.needed()).isEqualTo(1);
                            assertThat(e.getCause()).isNull();
                        });
                assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
                assertThat(seq.pageIndices()).hasSize(2);
            }
        }
    }

    @Nested
    class Speculative {

        @Test
        void applySpeculative_acceptAll_continueAndGeneratedGrowsByK() {
            // kvbm-seq-events §6 invariant 60
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000); // 9 tokens, generated 1

                assertThat(seq.scheduleSpeculative(2, m).block(TIMEOUT))
                        .isEqualTo(SequenceState.speculativeScheduled(2, 1));
                assertThat(seq.applySpeculative(new int[] {1, 2}, m).block(TIMEOUT))
                        .isEqualTo(DecodeOutcome.CONTINUE);

                assertThat(seq.generatedTokens()).isEqualTo(3);
                assertThat(seq.kvPosition()).isEqualTo(10);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
            }
        }

        @Test
        void applySpeculative_partialAccept_releasesTheExcessAndKeepsOneGenerationBlock() {
            // kvbm-seq-events §6 invariant 60
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            try (SchedulableSequence seq = build(8, 10, recorder)) {
                prefill(seq, m, 1000);
                assertThat(seq.scheduleSpeculative(4, m).block(TIMEOUT))
                        .isEqualTo(SequenceState.speculativeScheduled(4, 2));
                assertThat(seq.unassignedBlocks()).isEqualTo(2);

                assertThat(seq.applySpeculative(new int[] {1, 2}, m).block(TIMEOUT))
                        .isEqualTo(DecodeOutcome.CONTINUE);

                assertThat(seq.unassignedBlocks()).isEqualTo(1);
                assertThat(recorder.last()).isEqualTo(new SequenceEvent.SpeculativeApplied(2, 4, 1));
                assertThat(m.availableBlocks()).isEqualTo(5);
            }
        }

        @Test
        void applySpeculative_zeroAccepted_keepsOneGenerationBlockAndNeverTakesMore() {
            // kvbm-seq-events §6 invariant 60
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);
                seq.scheduleSpeculative(4, m).block(TIMEOUT);
                int afterSchedule = m.availableBlocks();

                assertThat(seq.applySpeculative(new int[0], m).block(TIMEOUT)).isEqualTo(DecodeOutcome.CONTINUE);

                assertThat(seq.unassignedBlocks()).isEqualTo(1);
                assertThat(seq.kvPosition()).isEqualTo(8);
                assertThat(seq.tailTokens()).isEqualTo(1);
                assertThat(m.availableBlocks()).isGreaterThanOrEqualTo(afterSchedule);
            }
        }

        @Test
        void applySpeculative_moreAcceptedThanScheduled_refusedAndStillScheduled() {
            // kvbm-seq-events §6 invariant 60
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);
                seq.scheduleSpeculative(2, m).block(TIMEOUT);

                assertThatThrownBy(() ->
                                seq.applySpeculative(new int[] {1, 2, 3}, m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ApplyException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ApplyException.Kind.ACCEPTED_EXCEEDS_SCHEDULED);
                            assertThat(e.accepted()).isEqualTo(3);
                            assertThat(e.scheduled()).isEqualTo(2);
                        });
                assertThat(seq.state().kind()).isEqualTo(SequenceState.Kind.SPECULATIVE_SCHEDULED);
                assertThat(seq.totalTokens()).isEqualTo(9);
                seq.revertSchedule();
            }
        }

        @Test
        void applySpeculative_acrossBoundaries_registersEveryPendingBlock() {
            // kvbm-seq-events §6 invariant 60
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(7, 10)) {
                prefill(seq, m, 1000); // 8 tokens: block 1 complete at the token level, 1 block assigned

                assertThat(seq.scheduleSpeculative(5, m).block(TIMEOUT))
                        .isEqualTo(SequenceState.speculativeScheduled(5, 3));
                assertThat(seq.applySpeculative(new int[] {1, 2, 3, 4, 5}, m).block(TIMEOUT))
                        .isEqualTo(DecodeOutcome.BLOCK_COMPLETED);

                assertThat(seq.assignedBlocks()).isEqualTo(3);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
                assertThat(seq.kvPosition()).isEqualTo(12);
                assertThat(seq.tailTokens()).isEqualTo(1);
            }
        }

        @Test
        void scheduleSpeculative_budgetLargerThanWhatRemains_isClamped() {
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            try (SchedulableSequence seq = build(8, 3, recorder)) {
                prefill(seq, m, 1000); // 2 tokens remain

                assertThat(seq.scheduleSpeculative(10, m).block(TIMEOUT))
                        .isEqualTo(SequenceState.speculativeScheduled(2, 1));
                assertThat(recorder.last()).isEqualTo(new SequenceEvent.SpeculativeScheduled(2, 1));
            }
        }

        @Test
        void applySpeculative_reachingMaxLength_releasesEveryUnassignedBlock() {
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 3)) {
                prefill(seq, m, 1000);
                seq.scheduleSpeculative(2, m).block(TIMEOUT);

                assertThat(seq.applySpeculative(new int[] {1, 2}, m).block(TIMEOUT))
                        .isEqualTo(DecodeOutcome.MAX_LENGTH);

                assertThat(seq.unassignedBlocks()).isZero();
            }
        }
    }

    @Nested
    class Revert {

        @Test
        void revertSchedule_ofAPrefill_givesTheBlocksBackAndReturnsToIdle() {
            // kvbm-seq-events §6 invariant 61
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            SchedulableSequence seq = build(8, 10, recorder);
            int before = m.availableBlocks();
            seq.schedulePrefill(8, m).block(TIMEOUT);

            seq.revertSchedule();

            assertThat(m.availableBlocks()).isEqualTo(before);
            assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
            assertThat(recorder.last()).isEqualTo(new SequenceEvent.ScheduleReverted(2));
            assertThat(seq.prefillPosition()).isZero();
        }

        @Test
        void revertSchedule_ofADecodeOrASpeculativeStep_givesTheBlocksBack() {
            // kvbm-seq-events §6 invariant 61
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(7, 10)) {
                prefill(seq, m, 1000);
                int before = m.availableBlocks();

                seq.scheduleDecode(m).block(TIMEOUT);
                assertThat(m.availableBlocks()).isEqualTo(before - 2);
                seq.revertSchedule();
                assertThat(m.availableBlocks()).isEqualTo(before);

                seq.scheduleSpeculative(5, m).block(TIMEOUT);
                seq.revertSchedule();
                assertThat(m.availableBlocks()).isEqualTo(before);
                assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
                assertThat(seq.totalTokens()).isEqualTo(8);
            }
        }

        @Test
        void revertSchedule_keepsBlocksHeldBeforeTheSchedule_lifo() {
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);
                decode(seq, m, 1001); // the generation block is held
                int[] pages = seq.pageIndices();
                seq.scheduleSpeculative(4, m).block(TIMEOUT); // 1 more

                seq.revertSchedule();

                assertThat(seq.pageIndices()).containsExactly(pages);
            }
        }

        @Test
        void revertSchedule_whenIdle_wrongState() {
            // kvbm-seq-events §6 invariant 61
            SchedulableSequence seq = build(8, 10);

            assertThatThrownBy(seq::revertSchedule).isInstanceOfSatisfying(ApplyException.class, e -> {
                assertThat(e.kind()).isEqualTo(ApplyException.Kind.WRONG_STATE);
                assertThat(e.expectedState()).isEqualTo("any Scheduled state");
                assertThat(e.actualState()).isEqualTo(SequenceState.IDLE);
            });
        }

        @Test
        void dropUnassigned_popsNewestFirstUpToTheCount() {
            // kvbm-seq-events §6 invariant 62
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            try (SchedulableSequence seq = build(8, 10, recorder)) {
                prefill(seq, m, 1000);
                decode(seq, m, 1001);
                assertThat(seq.unassignedBlocks()).isEqualTo(1);

                assertThat(seq.dropUnassigned(1)).isEqualTo(1);

                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(recorder.last()).isEqualTo(new SequenceEvent.UnassignedDropped(1));
            }
        }

        @Test
        void dropUnassigned_askingForMoreThanHeld_dropsWhatThereIs_zeroChangesNothing() {
            // kvbm-seq-events §6 invariant 62
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            try (SchedulableSequence seq = build(8, 10, recorder)) {
                prefill(seq, m, 1000);
                decode(seq, m, 1001);
                int events = recorder.events.size();

                assertThat(seq.dropUnassigned(0)).isZero();
                assertThat(recorder.events).hasSize(events);
                assertThat(seq.dropUnassigned(5)).isEqualTo(1);
                assertThat(seq.dropUnassigned(5)).isZero();
                assertThat(recorder.events).hasSize(events + 1);
            }
        }

        @Test
        void dropUnassigned_whileScheduled_illegalState() {
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                seq.schedulePrefill(8, m).block(TIMEOUT);

                assertThatThrownBy(() -> seq.dropUnassigned(1))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("needs an Idle sequence, but it is PrefillScheduled{numTokens=8");
                assertThatThrownBy(() -> seq.dropUnassigned(-1)).isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    @Nested
    class Dangling {

        @Test
        void kvAndTail_acrossChunkedPrefillDecodeAndSpeculation() {
            // kvbm-seq-events §6 invariant 68
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                seq.schedulePrefill(4, m).block(TIMEOUT);
                seq.applyPrefill(m).block(TIMEOUT);
                assertThat(seq.kvPosition()).isEqualTo(4);
                assertThat(seq.tailTokens()).isEqualTo(4);

                seq.schedulePrefill(4, m).block(TIMEOUT);
                seq.applyPrefill(1000, m).block(TIMEOUT);
                assertThat(seq.kvPosition()).isEqualTo(8);
                assertThat(seq.tailTokens()).isEqualTo(1);

                decode(seq, m, 1001);
                assertThat(seq.kvPosition()).isEqualTo(9);
                assertThat(seq.tailTokens()).isEqualTo(1);

                seq.scheduleSpeculative(3, m).block(TIMEOUT);
                seq.applySpeculative(new int[] {1, 2}, m).block(TIMEOUT);
                assertThat(seq.kvPosition()).isEqualTo(11);
                assertThat(seq.tailTokens()).isEqualTo(1);
            }
        }

        @Test
        void kvAndTail_speculativeAcceptThreeFromNine_twelve() {
            // kvbm-seq-events §6 invariant 68
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);
                decode(seq, m, 1001);

                seq.scheduleSpeculative(3, m).block(TIMEOUT);
                seq.applySpeculative(new int[] {1, 2, 3}, m).block(TIMEOUT);

                assertThat(seq.kvPosition()).isEqualTo(12);
                assertThat(seq.tailTokens()).isEqualTo(1);
            }
        }

        @Test
        void scheduleDecode_zeroOrTwoDanglingTokens_wrongDanglingCount() {
            // kvbm-seq-events §6 invariant 68
            BlockManager m = TestManagers.create(8);
            SchedulableSequence none = build(0, 4);
            SchedulableSequence two = build(0, 4);
            two.appendTokens(1, 2);

            List<Integer> actual = new ArrayList<>();
            for (SchedulableSequence seq : List.of(none, two)) {
                assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ScheduleException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ScheduleException.Kind.WRONG_DANGLING_COUNT);
                            assertThat(e.expected()).isEqualTo(1);
                            actual.add(e.actual());
                        });
            }
            assertThat(actual).containsExactly(0, 2);
        }

        @Test
        void appendTokens_addsDanglingTokensWithoutMovingKv() {
            // kvbm-seq-events §6 invariant 68
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);

                seq.appendTokens(1, 2);

                assertThat(seq.kvPosition()).isEqualTo(8);
                assertThat(seq.tailTokens()).isEqualTo(3);
                assertThat(seq.generatedTokens()).isEqualTo(3);
            }
        }
    }

    @Nested
    class Lifecycle {

        @Test
        void fullLifecycle_sixInputMaxSeven_onlyTheLastDecodeReachesMaxLength() {
            // kvbm-seq-events §6 invariant 64
            BlockManager m = TestManagers.create(8);
            SchedulableSequence seq = build(6, 7);
            prefill(seq, m, 100);

            List<DecodeOutcome> outcomes = new ArrayList<>();
            while (!seq.isComplete()) {
                outcomes.add(decode(seq, m, 100 + seq.generatedTokens()));
            }

            assertThat(outcomes).hasSize(6);
            assertThat(outcomes.subList(0, 5))
                    .allMatch(o -> o == DecodeOutcome.CONTINUE || o == DecodeOutcome.BLOCK_COMPLETED);
            assertThat(outcomes.get(5).maxLength()).isTrue();
            assertThat(seq.generatedTokens()).isEqualTo(7);
            assertThat(seq.totalTokens()).isEqualTo(13);
            seq.release();
            assertThat(seq.pageIndices()).isEmpty();
            assertThat(m.availableBlocks()).isEqualTo(8);
        }
    }
}
