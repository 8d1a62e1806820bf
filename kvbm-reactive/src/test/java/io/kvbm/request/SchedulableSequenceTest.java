package io.kvbm.request;

import static io.kvbm.request.Sequences.BS;
import static io.kvbm.request.Sequences.TIMEOUT;
import static io.kvbm.request.Sequences.build;
import static io.kvbm.request.Sequences.decode;
import static io.kvbm.request.Sequences.prefill;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.manager.BlockManager;
import io.kvbm.request.Sequences.Recorder;
import io.kvbm.sequence.BlockSequence;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * {@link SchedulableSequence}: construction, the state machine's guards, prefill (single and chunked), prefix reuse,
 * preemption, the edge cases of kvbm's scheduled.rs, and the event record of a lifecycle.
 */
class SchedulableSequenceTest {

    @Nested
    class Construction {

        @Test
        void build_newSequence_isIdleAtZeroWithTheWholePromptDangling_andEmitsOneCreated() {
            // kvbm-seq-events §6 invariant 54
            Recorder recorder = new Recorder();

            SchedulableSequence seq = build(8, 10, recorder);

            assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
            assertThat(seq.prefillPosition()).isZero();
            assertThat(seq.kvPosition()).isZero();
            assertThat(seq.tailTokens()).isEqualTo(8);
            assertThat(seq.isPrefillComplete()).isFalse();
            assertThat(recorder.events).containsExactly(new SequenceEvent.Created(8, 10, BS));
        }

        @Test
        void build_missingRequiredField_throwsNamingIt() {
            // kvbm-seq-events §6 invariant 69
            assertThatThrownBy(() -> SchedulableSequence.builder()
                            .maxOutputTokens(1)
                            .blockSize(4)
                            .build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tokens is required");
            assertThatThrownBy(() -> SchedulableSequence.builder()
                            .tokens(new int[1])
                            .blockSize(4)
                            .build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxOutputTokens is required");
            assertThatThrownBy(() -> SchedulableSequence.builder()
                            .tokens(new int[1])
                            .maxOutputTokens(1)
                            .build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blockSize is required");
        }

        @Test
        void builder_badValues_throwAtTheSetter() {
            // kvbm-seq-events §6 invariant 69
            SchedulableSequence.Builder builder = SchedulableSequence.builder();

            assertThatThrownBy(() -> builder.maxOutputTokens(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxOutputTokens must be >= 0, got -1");
            assertThatThrownBy(() -> builder.blockSize(0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("blockSize must be positive, got 0");
            assertThatThrownBy(() -> builder.tokens(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> builder.delegate(null)).isInstanceOf(NullPointerException.class);
        }

        @Test
        void build_withoutDelegate_usesTheNoopDelegateThroughAFullLifecycle() {
            // kvbm-seq-events §6 invariant 69
            BlockManager m = TestManagers.create(8);
            SchedulableSequence seq = SchedulableSequence.builder()
                    .tokens(TestTokens.range(0, 6))
                    .maxOutputTokens(3)
                    .blockSize(BS)
                    .build();

            assertThat(seq.delegate()).isSameAs(SequenceDelegate.noop());
            prefill(seq, m, 100);
            decode(seq, m, 101);
            assertThat(decode(seq, m, 102).maxLength()).isTrue();
            seq.release();
            assertThat(seq.pageIndices()).isEmpty();
        }

        @Test
        void builder_copiesTheTokens() {
            int[] tokens = TestTokens.range(0, 8);
            SchedulableSequence seq = SchedulableSequence.builder()
                    .tokens(tokens)
                    .maxOutputTokens(1)
                    .blockSize(BS)
                    .build();
            tokens[0] = 999;

            assertThat(seq.sequenceHashes())
                    .isEqualTo(BlockSequence.of(TestTokens.range(0, 8), BS).allSequenceHashes());
        }
    }

    @Nested
    class StateMachine {

        @Test
        void schedule_whileScheduled_notIdle() {
            // kvbm-seq-events §6 invariant 55
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 4)) {
                seq.schedulePrefill(4, m).block(TIMEOUT);

                assertThatThrownBy(() -> seq.schedulePrefill(4, m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ScheduleException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ScheduleException.Kind.NOT_IDLE);
                            assertThat(e.state()).isEqualTo(SequenceState.prefillScheduled(4, 1));
                        });
                assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(
                                ScheduleException.class,
                                e -> assertThat(e.kind()).isEqualTo(ScheduleException.Kind.NOT_IDLE));
                assertThatThrownBy(() -> seq.matchAndAddPrefix(m).block(TIMEOUT))
                        .isInstanceOf(ScheduleException.class);
                assertThat(seq.state()).isEqualTo(SequenceState.prefillScheduled(4, 1));
            }
        }

        @Test
        void apply_inTheWrongState_wrongStateNamingBoth() {
            // kvbm-seq-events §6 invariant 55
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 4)) {
                assertThatThrownBy(() -> seq.applyPrefill(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ApplyException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ApplyException.Kind.WRONG_STATE);
                            assertThat(e.expectedState()).isEqualTo("PrefillScheduled");
                            assertThat(e.actualState()).isEqualTo(SequenceState.IDLE);
                        });
                seq.schedulePrefill(8, m).block(TIMEOUT);
                assertThatThrownBy(() -> seq.applyDecode(1, m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ApplyException.class, e -> {
                            assertThat(e.expectedState()).isEqualTo("DecodeScheduled");
                            assertThat(e.actualState().kind()).isEqualTo(SequenceState.Kind.PREFILL_SCHEDULED);
                        });
                assertThatThrownBy(() -> seq.applySpeculative(new int[0], m).block(TIMEOUT))
                        .isInstanceOfSatisfying(
                                ApplyException.class,
                                e -> assertThat(e.expectedState()).isEqualTo("SpeculativeScheduled"));
                assertThat(seq.state().kind()).isEqualTo(SequenceState.Kind.PREFILL_SCHEDULED);
            }
        }

        @Test
        void decodeOrSpeculative_beforePrefillIsComplete_prefillNotComplete() {
            // kvbm-seq-events §6 invariant 55
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 4)) {
                seq.schedulePrefill(4, m).block(TIMEOUT);
                seq.applyPrefill(m).block(TIMEOUT);

                assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ScheduleException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ScheduleException.Kind.PREFILL_NOT_COMPLETE);
                            assertThat(e.position()).isEqualTo(4);
                            assertThat(e.numInputTokens()).isEqualTo(8);
                        });
                assertThatThrownBy(() -> seq.scheduleSpeculative(2, m).block(TIMEOUT))
                        .isInstanceOfSatisfying(
                                ScheduleException.class,
                                e -> assertThat(e.kind()).isEqualTo(ScheduleException.Kind.PREFILL_NOT_COMPLETE));
                assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
            }
        }

        @Test
        void releaseOrReacquire_whileScheduled_wrongState() {
            // kvbm-seq-events §6 invariant 67
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 4)) {
                seq.schedulePrefill(8, m).block(TIMEOUT);

                assertThatThrownBy(seq::release).isInstanceOfSatisfying(ApplyException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ApplyException.Kind.WRONG_STATE);
                    assertThat(e.expectedState()).isEqualTo("Idle");
                });
                assertThatThrownBy(() -> seq.reacquire(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(
                                ApplyException.class,
                                e -> assertThat(e.expectedState()).isEqualTo("Idle"));
                assertThat(seq.unassignedBlocks()).isEqualTo(2);
            }
        }

        @Test
        void exceptionAccessors_notCarriedByTheKind_throwIllegalState() {
            ScheduleException complete = ScheduleException.prefillComplete();
            ApplyException token = ApplyException.tokenOnNonFinalChunk(4, 8);

            assertThatThrownBy(complete::needed)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("needed is not carried by a PREFILL_COMPLETE error");
            assertThatThrownBy(complete::state).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(token::accepted).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(token::expectedState).isInstanceOf(IllegalStateException.class);
            assertThat(ScheduleException.allocationFailed(3, null).needed()).isEqualTo(3);
        }
    }

    @Nested
    class Prefill {

        @Test
        void prefill_singleChunkOfEight_scheduledWithTwoBlocks_thenIdleWithOneDanglingToken() {
            // kvbm-seq-events §6 invariant 56
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                assertThat(seq.schedulePrefill(8, m).block(TIMEOUT)).isEqualTo(SequenceState.prefillScheduled(8, 2));
                assertThat(seq.state()).isEqualTo(SequenceState.prefillScheduled(8, 2));

                seq.applyPrefill(1000, m).block(TIMEOUT);

                assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
                assertThat(seq.prefillPosition()).isEqualTo(8);
                assertThat(seq.kvPosition()).isEqualTo(8);
                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(seq.tailTokens()).isEqualTo(1);
                assertThat(seq.generatedTokens()).isEqualTo(1);
                assertThat(seq.isPrefillComplete()).isTrue();
            }
        }

        @Test
        void prefill_chunkedFourPlusFour_endsInTheSameState() {
            // kvbm-seq-events §6 invariant 56
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                assertThat(seq.schedulePrefill(4, m).block(TIMEOUT)).isEqualTo(SequenceState.prefillScheduled(4, 1));
                seq.applyPrefill(m).block(TIMEOUT);
                assertThat(seq.assignedBlocks()).isEqualTo(1);
                assertThat(seq.generatedTokens()).isZero();

                assertThat(seq.schedulePrefill(4, m).block(TIMEOUT)).isEqualTo(SequenceState.prefillScheduled(4, 1));
                seq.applyPrefill(1000, m).block(TIMEOUT);

                assertThat(seq.prefillPosition()).isEqualTo(8);
                assertThat(seq.kvPosition()).isEqualTo(8);
                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(seq.tailTokens()).isEqualTo(1);
            }
        }

        @Test
        void applyPrefill_tokenOnANonFinalChunk_refusedAndStillScheduled() {
            // kvbm-seq-events §6 invariant 57
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                seq.schedulePrefill(4, m).block(TIMEOUT);

                assertThatThrownBy(() -> seq.applyPrefill(1000, m).block(TIMEOUT))
                        .isInstanceOfSatisfying(
                                ApplyException.class,
                                e -> assertThat(e.kind()).isEqualTo(ApplyException.Kind.TOKEN_ON_NON_FINAL_CHUNK));
                assertThat(seq.state()).isEqualTo(SequenceState.prefillScheduled(4, 1));
                assertThat(seq.generatedTokens()).isZero();
                assertThat(seq.unassignedBlocks()).isEqualTo(1);
            }
        }

        @Test
        void applyPrefill_finalChunkWithoutToken_missingToken() {
            // kvbm-seq-events §6 invariant 57
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                seq.schedulePrefill(8, m).block(TIMEOUT);

                assertThatThrownBy(() -> seq.applyPrefill(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(
                                ApplyException.class,
                                e -> assertThat(e.kind()).isEqualTo(ApplyException.Kind.MISSING_TOKEN_ON_FINAL_CHUNK));
                assertThat(seq.state().kind()).isEqualTo(SequenceState.Kind.PREFILL_SCHEDULED);
                assertThat(seq.assignedBlocks()).isZero();
            }
        }

        @Test
        void schedulePrefill_nineOfEight_overrun() {
            // kvbm-seq-events §6 invariant 57
            BlockManager m = TestManagers.create(8);
            SchedulableSequence seq = build(8, 10);

            assertThatThrownBy(() -> seq.schedulePrefill(9, m).block(TIMEOUT))
                    .isInstanceOfSatisfying(ScheduleException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ScheduleException.Kind.PREFILL_OVERRUN);
                        assertThat(e.position()).isZero();
                        assertThat(e.numTokens()).isEqualTo(9);
                        assertThat(e.numInputTokens()).isEqualTo(8);
                    });
            assertThat(m.availableBlocks()).isEqualTo(8);
        }

        @Test
        void schedulePrefill_oneBlockManagerEightTokens_allocationFailedStillIdleNothingHeld() {
            // kvbm-seq-events §6 invariant 57
            BlockManager m = TestManagers.create(1);
            Recorder recorder = new Recorder();
            SchedulableSequence seq = build(8, 10, recorder);

            assertThatThrownBy(() -> seq.schedulePrefill(8, m).block(TIMEOUT))
                    .isInstanceOfSatisfying(ScheduleException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ScheduleException.Kind.ALLOCATION_FAILED);
                        assertThat(e.needed()).isEqualTo(2);
                    });
            assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
            assertThat(seq.pageIndices()).isEmpty();
            assertThat(m.availableBlocks()).isEqualTo(1);
            assertThat(recorder.kinds()).containsExactly(SequenceEvent.Kind.CREATED);
        }

        @Test
        void schedulePrefill_afterPrefillComplete_prefillComplete() {
            // kvbm-seq-events §6 invariant 57
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 10)) {
                prefill(seq, m, 1000);

                assertThatThrownBy(() -> seq.schedulePrefill(1, m).block(TIMEOUT))
                        .isInstanceOfSatisfying(
                                ScheduleException.class,
                                e -> assertThat(e.kind()).isEqualTo(ScheduleException.Kind.PREFILL_COMPLETE));
            }
        }

        @Test
        void prefill_partialTailOfThePrompt_getsNoBlockUntilDecode() {
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(7, 10)) {
                assertThat(seq.schedulePrefill(7, m).block(TIMEOUT)).isEqualTo(SequenceState.prefillScheduled(7, 1));
                seq.applyPrefill(1000, m).block(TIMEOUT);

                // the token completes block 1 at the token level; no block holds it yet
                assertThat(seq.numBlocks()).isEqualTo(2);
                assertThat(seq.assignedBlocks()).isEqualTo(1);
                assertThat(seq.unassignedBlocks()).isZero();
            }
        }
    }

    @Nested
    class PrefixReuse {

        @Test
        void matchAndAddPrefix_oneCachedBlock_advancesPositionsAndPrefillAllocatesOnlyTheRest() {
            // kvbm-seq-events §6 invariant 66
            BlockManager m = TestManagers.create(8);
            Sequences.cache(
                    m, BlockSequence.of(TestTokens.range(0, 12), BS).blocks().subList(0, 1));
            Recorder recorder = new Recorder();
            try (SchedulableSequence seq = build(12, 4, recorder)) {
                assertThat(seq.matchAndAddPrefix(m).block(TIMEOUT)).isEqualTo(1);

                assertThat(seq.prefillPosition()).isEqualTo(4);
                assertThat(seq.kvPosition()).isEqualTo(4);
                assertThat(seq.prefixMatchedBlocks()).isEqualTo(1);
                assertThat(recorder.last()).isEqualTo(new SequenceEvent.PrefixMatched(1));
                assertThat(seq.schedulePrefill(8, m).block(TIMEOUT)).isEqualTo(SequenceState.prefillScheduled(8, 2));
                seq.applyPrefill(7, m).block(TIMEOUT);
                assertThat(seq.assignedBlocks()).isEqualTo(3);
                assertThat(m.stats().registrations()).isEqualTo(3);
            }
        }

        @Test
        void matchAndAddPrefix_noHits_staysAtZeroAndStillEmits() {
            // kvbm-seq-events §6 invariant 66
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            SchedulableSequence seq = build(12, 4, recorder);

            assertThat(seq.matchAndAddPrefix(m).block(TIMEOUT)).isZero();

            assertThat(seq.prefillPosition()).isZero();
            assertThat(seq.kvPosition()).isZero();
            assertThat(recorder.last()).isEqualTo(new SequenceEvent.PrefixMatched(0));
        }

        @Test
        void matchAndAddPrefix_wholeBlockAlignedPromptCached_prefillCompleteWithNoDanglingToken() {
            BlockManager m = TestManagers.create(8);
            Sequences.cache(m, BlockSequence.of(TestTokens.range(0, 8), BS).blocks());
            try (SchedulableSequence seq = build(8, 4)) {
                seq.matchAndAddPrefix(m).block(TIMEOUT);

                assertThat(seq.isPrefillComplete()).isTrue();
                assertThat(seq.tailTokens()).isZero();
                assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ScheduleException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ScheduleException.Kind.WRONG_DANGLING_COUNT);
                            assertThat(e.actual()).isZero();
                        });
                // the caller seeds the first token (e.g. from the cached logits), then decodes
                seq.appendTokens(1000);
                assertThat(decode(seq, m, 1001)).isEqualTo(DecodeOutcome.CONTINUE);
            }
        }
    }

    @Nested
    class Preemption {

        @Test
        void releaseThenReacquire_restoresTheCompleteBlocksAndDecodingContinues() {
            // kvbm-seq-events §6 invariant 65
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            try (SchedulableSequence seq = build(8, 10, recorder)) {
                prefill(seq, m, 1000);
                decode(seq, m, 1001);
                seq.release();
                assertThat(seq.pageIndices()).isEmpty();
                assertThat(recorder.last()).isEqualTo(new SequenceEvent.Released());

                assertThat(seq.reacquire(m).block(TIMEOUT)).isTrue();

                assertThat(recorder.last()).isEqualTo(new SequenceEvent.Reacquired(2, true));
                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(seq.generatedTokens()).isEqualTo(2);
                assertThat(seq.kvPosition()).isEqualTo(9);
                assertThat(seq.scheduleDecode(m).block(TIMEOUT)).isEqualTo(SequenceState.decodeScheduled(1));
                assertThat(seq.applyDecode(1002, m).block(TIMEOUT)).isEqualTo(DecodeOutcome.CONTINUE);
            }
        }

        @Test
        void reacquire_noRoom_falseIdleAndNothingHeld() {
            BlockManager m = TestManagers.create(3);
            Recorder recorder = new Recorder();
            SchedulableSequence seq = build(8, 10, recorder);
            prefill(seq, m, 1000);
            seq.release();
            var elsewhere = m.tryAllocate(3).block(TIMEOUT);

            assertThat(seq.reacquire(m).block(TIMEOUT)).isFalse();

            assertThat(recorder.last()).isEqualTo(new SequenceEvent.Reacquired(0, false));
            assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
            assertThat(seq.pageIndices()).isEmpty();
            elsewhere.forEach(io.kvbm.block.MutableBlock::close);
        }
    }

    @Nested
    class EdgeCases {

        @Test
        void emptyInput_prefillCompleteAtOnce_decodeNeedsASeededToken() {
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(0, 4)) {
                assertThat(seq.isPrefillComplete()).isTrue();
                assertThat(seq.tailTokens()).isZero();

                assertThatThrownBy(() -> seq.schedulePrefill(0, m).block(TIMEOUT))
                        .isInstanceOfSatisfying(
                                ScheduleException.class,
                                e -> assertThat(e.kind()).isEqualTo(ScheduleException.Kind.PREFILL_COMPLETE));
                assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ScheduleException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ScheduleException.Kind.WRONG_DANGLING_COUNT);
                            assertThat(e.expected()).isEqualTo(1);
                            assertThat(e.actual()).isZero();
                        });

                seq.appendTokens(7);

                assertThat(seq.tailTokens()).isEqualTo(1);
                assertThat(seq.kvPosition()).isZero();
                assertThat(seq.scheduleDecode(m).block(TIMEOUT)).isEqualTo(SequenceState.decodeScheduled(1));
                assertThat(seq.applyDecode(8, m).block(TIMEOUT)).isEqualTo(DecodeOutcome.CONTINUE);
                assertThat(seq.kvPosition()).isEqualTo(1);
            }
        }

        @Test
        void maxOutputZero_finalChunkWithoutToken_noGenerationBlock_decodeRefused() {
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 0)) {
                seq.schedulePrefill(8, m).block(TIMEOUT);
                seq.applyPrefill(m).block(TIMEOUT);

                assertThat(seq.assignedBlocks()).isEqualTo(2);
                assertThat(seq.unassignedBlocks()).isZero();
                assertThat(seq.isComplete()).isTrue();
                assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                        .isInstanceOfSatisfying(ScheduleException.class, e -> {
                            assertThat(e.kind()).isEqualTo(ScheduleException.Kind.GENERATION_COMPLETE);
                            assertThat(e.generated()).isZero();
                            assertThat(e.maxOutput()).isZero();
                        });
            }
        }

        @Test
        void maxOutputZero_finalChunkWithAToken_refusedBeforeAnyChange() {
            // kvbm passes its checks here and then panics in append_token, after registering the chunk
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 0)) {
                seq.schedulePrefill(8, m).block(TIMEOUT);

                assertThatThrownBy(() -> seq.applyPrefill(5, m).block(TIMEOUT))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("cannot generate more tokens");
                assertThat(seq.state().kind()).isEqualTo(SequenceState.Kind.PREFILL_SCHEDULED);
                assertThat(seq.assignedBlocks()).isZero();
                assertThat(seq.totalTokens()).isEqualTo(8);
            }
        }

        @Test
        void twoDanglingTokens_wrongDanglingCountOfTwo() {
            BlockManager m = TestManagers.create(8);
            SchedulableSequence seq = build(0, 4);
            seq.appendTokens(1, 2);

            assertThatThrownBy(() -> seq.scheduleDecode(m).block(TIMEOUT))
                    .isInstanceOfSatisfying(ScheduleException.class, e -> {
                        assertThat(e.expected()).isEqualTo(1);
                        assertThat(e.actual()).isEqualTo(2);
                    });
        }

        @Test
        void appendTokens_overTheBudgetOrWhileScheduled_refused() {
            BlockManager m = TestManagers.create(8);
            try (SchedulableSequence seq = build(8, 2)) {
                assertThatThrownBy(() -> seq.appendTokens(1, 2, 3))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("appendTokens got 3 tokens, more than the remaining output budget of 2");
                seq.schedulePrefill(8, m).block(TIMEOUT);
                assertThatThrownBy(() -> seq.appendTokens(1))
                        .isInstanceOfSatisfying(
                                ApplyException.class,
                                e -> assertThat(e.kind()).isEqualTo(ApplyException.Kind.WRONG_STATE));
                assertThat(seq.totalTokens()).isEqualTo(8);
            }
        }
    }

    @Nested
    class Events {

        @Test
        void prefillTwoDecodesAndRelease_emitExactlyTheEightEventsInOrder() {
            // kvbm-seq-events §6 invariant 63
            BlockManager m = TestManagers.create(8);
            Recorder recorder = new Recorder();
            SchedulableSequence seq = build(4, 3, recorder);

            prefill(seq, m, 100);
            assertThat(decode(seq, m, 101)).isEqualTo(DecodeOutcome.CONTINUE);
            assertThat(decode(seq, m, 102)).isEqualTo(DecodeOutcome.MAX_LENGTH);
            seq.release();

            assertThat(recorder.events)
                    .containsExactly(
                            new SequenceEvent.Created(4, 3, BS),
                            new SequenceEvent.PrefillScheduled(4, 1),
                            new SequenceEvent.PrefillApplied(4, 1, true),
                            new SequenceEvent.DecodeScheduled(1),
                            new SequenceEvent.DecodeApplied(101, false),
                            new SequenceEvent.DecodeScheduled(0),
                            new SequenceEvent.DecodeApplied(102, false),
                            new SequenceEvent.Released());
        }

        @Test
        void events_subscriberGetsCreatedThenLiveEvents() {
            BlockManager m = TestManagers.create(8);
            SchedulableSequence seq = build(4, 3);
            List<SequenceEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            prefill(seq, m, 100);

            var subscription = seq.events().subscribe(seen::add);
            decode(seq, m, 101);
            seq.release();
            subscription.dispose();
            seq.reacquire(m).block(TIMEOUT);
            seq.release();

            assertThat(seen)
                    .containsExactly(
                            new SequenceEvent.Created(4, 3, BS),
                            new SequenceEvent.DecodeScheduled(1),
                            new SequenceEvent.DecodeApplied(101, false),
                            new SequenceEvent.Released());
        }

        @Test
        void events_twoSubscribers_eachGetEveryEvent_delegateFirst() {
            BlockManager m = TestManagers.create(8);
            List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
            SchedulableSequence seq = build(4, 3, e -> order.add("delegate " + e.kind()));
            var a = seq.events().skip(1).subscribe(e -> order.add("a " + e.kind()));
            var b = seq.events().skip(1).subscribe(e -> order.add("b " + e.kind()));

            seq.schedulePrefill(4, m).block(TIMEOUT);
            a.dispose();
            b.dispose();
            seq.revertSchedule();

            assertThat(order)
                    .containsExactly(
                            "delegate CREATED",
                            "delegate PREFILL_SCHEDULED",
                            "a PREFILL_SCHEDULED",
                            "b PREFILL_SCHEDULED",
                            "delegate SCHEDULE_REVERTED");
        }

        @Test
        void delegateThatThrows_isLoggedAndTheTransitionStands() {
            BlockManager m = TestManagers.create(8);
            SchedulableSequence seq = build(4, 3, e -> {
                throw new IllegalStateException("listener bug");
            });

            assertThat(seq.schedulePrefill(4, m).block(TIMEOUT)).isEqualTo(SequenceState.prefillScheduled(4, 1));
            seq.revertSchedule();
            assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
        }

        @Test
        void eventKinds_matchTheirRecords() {
            assertThat(new SequenceEvent.Created(1, 2, 4).kind()).isEqualTo(SequenceEvent.Kind.CREATED);
            assertThat(new SequenceEvent.PrefixMatched(1).kind()).isEqualTo(SequenceEvent.Kind.PREFIX_MATCHED);
            assertThat(new SequenceEvent.SpeculativeScheduled(1, 1).kind())
                    .isEqualTo(SequenceEvent.Kind.SPECULATIVE_SCHEDULED);
            assertThat(new SequenceEvent.SpeculativeApplied(1, 1, 0).kind())
                    .isEqualTo(SequenceEvent.Kind.SPECULATIVE_APPLIED);
            assertThat(new SequenceEvent.UnassignedDropped(1).kind()).isEqualTo(SequenceEvent.Kind.UNASSIGNED_DROPPED);
            assertThat(new SequenceEvent.Reacquired(1, true).kind()).isEqualTo(SequenceEvent.Kind.REACQUIRED);
            assertThat(SequenceEvent.Kind.values()).hasSize(12);
        }
    }
}
