package io.kvbm.request;

import static io.kvbm.request.Sequences.TIMEOUT;
import static io.kvbm.request.Sequences.build;
import static io.kvbm.request.Sequences.prefill;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.StoreAudit;
import io.kvbm.request.Sequences.Recorder;
import io.kvbm.testing.TestManagers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The reactive contract of the sequence operations: cold, one run per subscription, never blocking (BlockHound is
 * installed in this JVM, so the lifecycles run on {@code parallel()} threads), bounded waits, and what cancellation
 * does to each kind of operation.
 */
class SequenceReactiveContractTest {

    /** A whole request, composed without blocking: prefix match, prefill, decode until done, release. */
    private static Mono<Integer> lifecycle(SchedulableSequence seq, BlockManager m, Duration maxWait) {
        return seq.matchAndAddPrefix(m)
                .then(Mono.defer(() -> seq.isPrefillComplete()
                        // the whole block-aligned prompt was cached: seed the first token instead of prefilling
                        ? Mono.fromRunnable(() -> seq.appendTokens(1000))
                        : seq.schedulePrefill(seq.numInputTokens() - seq.prefillPosition(), m, maxWait)
                                .then(Mono.defer(() -> seq.applyPrefill(1000, m)))))
                .then(Mono.defer(() -> seq.scheduleDecode(m, maxWait)
                                .then(Mono.defer(() -> seq.applyDecode(2000 + seq.generatedTokens(), m))))
                        .repeat(() -> !seq.isComplete())
                        .count())
                .map(steps -> {
                    seq.release();
                    return steps.intValue();
                });
    }

    @Test
    void operations_notSubscribed_doNothing() {
        BlockManager m = TestManagers.create(8);
        Recorder recorder = new Recorder();
        SchedulableSequence seq = build(8, 4, recorder);

        seq.matchAndAddPrefix(m);
        seq.schedulePrefill(8, m);
        seq.schedulePrefill(8, m, Duration.ofSeconds(1));
        seq.reacquire(m);

        assertThat(m.availableBlocks()).isEqualTo(8);
        assertThat(m.stats().allocations()).isZero();
        assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
        assertThat(recorder.kinds()).containsExactly(SequenceEvent.Kind.CREATED);
    }

    @Test
    void sameMonoSubscribedTwice_runsTwice_theSecondIsRefusedByTheStateMachine() {
        BlockManager m = TestManagers.create(8);
        try (SchedulableSequence seq = build(8, 4)) {
            Mono<SequenceState> schedule = seq.schedulePrefill(8, m);

            StepVerifier.create(schedule)
                    .expectNext(SequenceState.prefillScheduled(8, 2))
                    .verifyComplete();
            StepVerifier.create(schedule).expectError(ScheduleException.class).verify(TIMEOUT);
            assertThat(m.availableBlocks()).isEqualTo(6);
        }
    }

    @Test
    void lifecycle_onParallelThreads_neverBlocks() {
        BlockManager m = TestManagers.create(8);
        SchedulableSequence seq = build(6, 5);

        Integer steps = Mono.defer(() -> lifecycle(seq, m, Duration.ofSeconds(1)))
                .subscribeOn(Schedulers.parallel())
                .block(TIMEOUT);

        assertThat(steps).isEqualTo(4);
        assertThat(seq.generatedTokens()).isEqualTo(5);
        assertThat(StoreAudit.violations(m)).isEmpty();
        assertThat(m.availableBlocks()).isEqualTo(8);
    }

    @Test
    void manyRequests_sharingAScarceManager_onParallelThreads_allFinishAndTheBooksBalance() {
        // 16 requests of 4..11 prompt tokens and 3..9 output tokens over 10 blocks, two at a time: allocations wait
        // for each other. A request never holds more than ceil(20 / 4) = 5 blocks, so two always fit: no deadlock.
        BlockManager m = TestManagers.create(10);
        List<SchedulableSequence> sequences = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            sequences.add(build(4 + i % 8, 3 + i % 7));
        }
        AtomicInteger finished = new AtomicInteger();

        Flux.fromIterable(sequences)
                .flatMap(
                        seq -> Mono.defer(() -> lifecycle(seq, m, Duration.ofSeconds(5)))
                                .subscribeOn(Schedulers.parallel())
                                .doOnSuccess(steps -> finished.incrementAndGet()),
                        2)
                .then()
                .block(TIMEOUT);

        assertThat(finished).hasValue(16);
        assertThat(sequences).allMatch(SchedulableSequence::isComplete);
        // A release that found the drain loop busy may still be queued: an operation of the manager observes it.
        assertThat(StoreAudit.violations(m)).isEmpty();
        assertThat(m.availableBlocks()).isEqualTo(10);
        assertThat(m.pendingAllocations()).isZero();
    }

    @Test
    void scheduleWithWait_blocksReleasedByAnotherThread_servesTheWaitingStep() {
        BlockManager m = TestManagers.create(4);
        List<MutableBlock> elsewhere = m.tryAllocate(4).block(TIMEOUT);
        try (SchedulableSequence seq = build(8, 4)) {
            StepVerifier.create(seq.schedulePrefill(8, m, Duration.ofSeconds(5)))
                    .expectSubscription()
                    .then(() -> Schedulers.parallel().schedule(() -> elsewhere.forEach(MutableBlock::close)))
                    .expectNext(SequenceState.prefillScheduled(8, 2))
                    .verifyComplete();
            assertThat(seq.unassignedBlocks()).isEqualTo(2);
        }
    }

    @Test
    void scheduleWithWait_cancelledWhileWaiting_takesNothingAndStaysIdle() {
        BlockManager m = TestManagers.create(4);
        List<MutableBlock> elsewhere = m.tryAllocate(4).block(TIMEOUT);
        Recorder recorder = new Recorder();
        SchedulableSequence seq = build(8, 4, recorder);

        StepVerifier.create(seq.schedulePrefill(8, m, Duration.ofSeconds(5)))
                .expectSubscription()
                .then(() -> assertThat(m.pendingAllocations()).isEqualTo(1))
                .thenCancel()
                .verify(TIMEOUT);
        elsewhere.forEach(MutableBlock::close);

        assertThat(m.pendingAllocations()).isZero();
        assertThat(m.availableBlocks()).isEqualTo(4);
        assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
        assertThat(recorder.kinds()).containsExactly(SequenceEvent.Kind.CREATED);
        // the operation guard is free again
        assertThat(seq.schedulePrefill(8, m).block(TIMEOUT)).isEqualTo(SequenceState.prefillScheduled(8, 2));
        seq.revertSchedule();
    }

    @Test
    void scheduleWithoutWait_cancelledRightAfterSubscribe_stillCompletesTheStep() {
        BlockManager m = TestManagers.create(8);
        try (SchedulableSequence seq = build(8, 4)) {
            StepVerifier.create(seq.schedulePrefill(8, m), 0).thenCancel().verify(TIMEOUT);

            assertThat(seq.state()).isEqualTo(SequenceState.prefillScheduled(8, 2));
            assertThat(seq.unassignedBlocks()).isEqualTo(2);
            seq.applyPrefill(1, m).block(TIMEOUT);
            assertThat(seq.assignedBlocks()).isEqualTo(2);
        }
    }

    @Test
    void events_onAnotherThread_seeEveryTransitionOfAParallelLifecycle() throws Exception {
        BlockManager m = TestManagers.create(8);
        SchedulableSequence seq = build(4, 3);
        var seen = seq.events()
                .publishOn(Schedulers.single())
                .take(9)
                .collectList()
                .toFuture();

        Mono.defer(() -> lifecycle(seq, m, Duration.ofSeconds(1)))
                .subscribeOn(Schedulers.parallel())
                .block(TIMEOUT);

        assertThat(seen.get(TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).stream()
                        .map(SequenceEvent::kind))
                .containsExactly(
                        SequenceEvent.Kind.CREATED,
                        SequenceEvent.Kind.PREFIX_MATCHED,
                        SequenceEvent.Kind.PREFILL_SCHEDULED,
                        SequenceEvent.Kind.PREFILL_APPLIED,
                        SequenceEvent.Kind.DECODE_SCHEDULED,
                        SequenceEvent.Kind.DECODE_APPLIED,
                        SequenceEvent.Kind.DECODE_SCHEDULED,
                        SequenceEvent.Kind.DECODE_APPLIED,
                        SequenceEvent.Kind.RELEASED);
    }

    @Test
    void prefilledSequence_releaseFromAnotherThreadAfterCompletion_isSeenByTheNextOperation() {
        BlockManager m = TestManagers.create(8);
        SchedulableSequence seq = build(8, 4);
        prefill(seq, m, 1000);

        Mono.fromRunnable(seq::release).subscribeOn(Schedulers.parallel()).block(TIMEOUT);

        assertThat(seq.reacquire(m).block(TIMEOUT)).isTrue();
        seq.release();
    }
}
