package io.kvbm.request;

import static io.kvbm.request.Sequences.TIMEOUT;
import static io.kvbm.request.Sequences.build;
import static io.kvbm.request.Sequences.decode;
import static io.kvbm.request.Sequences.prefill;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.ManagerClosedException;
import io.kvbm.manager.StoreAudit;
import io.kvbm.request.Sequences.Recorder;
import io.kvbm.testing.TestManagers;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every refused operation of {@link SchedulableSequence} leaves the sequence and the manager's books exactly as they
 * were, and a sequence released after an error gives every block back (the invariants extension then also checks
 * the store). One row per error kind and per synchronous misuse.
 */
class SequenceErrorPathsTest {

    private static final int BLOCKS = 6;

    @FunctionalInterface
    interface Step {
        void run(SchedulableSequence seq, BlockManager m);
    }

    /** A sequence set up by {@code setup}, then an operation that must fail with {@code error}. */
    record ErrorPath(
            String name, int input, int maxOutput, Step setup, Step failing, Class<? extends Throwable> error) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** What a failed operation must not change. */
    record Snapshot(
            SequenceState state,
            int prefill,
            int kv,
            int total,
            int generated,
            List<Integer> pages,
            int available,
            int events) {

        static Snapshot of(SchedulableSequence seq, BlockManager m, Recorder recorder) {
            return new Snapshot(
                    seq.state(),
                    seq.prefillPosition(),
                    seq.kvPosition(),
                    seq.totalTokens(),
                    seq.generatedTokens(),
                    Arrays.stream(seq.pageIndices()).boxed().toList(),
                    m.availableBlocks(),
                    recorder.events.size());
        }
    }

    private static void block(reactor.core.publisher.Mono<?> mono) {
        mono.block(TIMEOUT);
    }

    static Stream<ErrorPath> errorPaths() {
        Step none = (s, m) -> {};
        Step prefilled = (s, m) -> prefill(s, m, 1000);
        Step prefillScheduled = (s, m) -> block(s.schedulePrefill(8, m));
        Step firstChunkScheduled = (s, m) -> block(s.schedulePrefill(4, m));
        Step decodeScheduled = (s, m) -> {
            prefill(s, m, 1000);
            block(s.scheduleDecode(m));
        };
        Step speculativeScheduled = (s, m) -> {
            prefill(s, m, 1000);
            block(s.scheduleSpeculative(2, m));
        };
        Step holdingEverything = (s, m) -> {
            prefill(s, m, 1000);
            decode(s, m, 1001);
            block(s.scheduleSpeculative(3, m));
            s.applySpeculative(new int[] {1}, m).block(TIMEOUT);
        };
        return Stream.of(
                new ErrorPath(
                        "NOT_IDLE",
                        8,
                        10,
                        prefillScheduled,
                        (s, m) -> block(s.scheduleDecode(m)),
                        ScheduleException.class),
                new ErrorPath(
                        "NOT_IDLE on matchAndAddPrefix",
                        8,
                        10,
                        prefillScheduled,
                        (s, m) -> block(s.matchAndAddPrefix(m)),
                        ScheduleException.class),
                new ErrorPath(
                        "PREFILL_OVERRUN",
                        8,
                        10,
                        none,
                        (s, m) -> block(s.schedulePrefill(9, m)),
                        ScheduleException.class),
                new ErrorPath(
                        "PREFILL_COMPLETE",
                        8,
                        10,
                        prefilled,
                        (s, m) -> block(s.schedulePrefill(1, m)),
                        ScheduleException.class),
                new ErrorPath(
                        "PREFILL_NOT_COMPLETE",
                        8,
                        10,
                        none,
                        (s, m) -> block(s.scheduleSpeculative(1, m)),
                        ScheduleException.class),
                new ErrorPath(
                        "ALLOCATION_FAILED on prefill",
                        28,
                        10,
                        none,
                        (s, m) -> block(s.schedulePrefill(28, m)),
                        ScheduleException.class),
                new ErrorPath(
                        "ALLOCATION_FAILED on speculation",
                        8,
                        100,
                        holdingEverything,
                        (s, m) -> block(s.scheduleSpeculative(20, m)),
                        ScheduleException.class),
                new ErrorPath(
                        "ALLOCATION_FAILED after a wait",
                        8,
                        100,
                        holdingEverything,
                        (s, m) -> block(s.scheduleSpeculative(20, m, Duration.ofMillis(20))),
                        ScheduleException.class),
                new ErrorPath(
                        "GENERATION_COMPLETE",
                        8,
                        1,
                        prefilled,
                        (s, m) -> block(s.scheduleDecode(m)),
                        ScheduleException.class),
                new ErrorPath(
                        "WRONG_DANGLING_COUNT",
                        0,
                        10,
                        none,
                        (s, m) -> block(s.scheduleDecode(m)),
                        ScheduleException.class),
                new ErrorPath(
                        "WRONG_STATE on applyPrefill",
                        8,
                        10,
                        decodeScheduled,
                        (s, m) -> block(s.applyPrefill(1, m)),
                        ApplyException.class),
                new ErrorPath(
                        "WRONG_STATE on applyDecode",
                        8,
                        10,
                        speculativeScheduled,
                        (s, m) -> block(s.applyDecode(1, m)),
                        ApplyException.class),
                new ErrorPath(
                        "WRONG_STATE on applySpeculative",
                        8,
                        10,
                        decodeScheduled,
                        (s, m) -> block(s.applySpeculative(new int[] {1}, m)),
                        ApplyException.class),
                new ErrorPath(
                        "WRONG_STATE on revert", 8, 10, prefilled, (s, m) -> s.revertSchedule(), ApplyException.class),
                new ErrorPath(
                        "WRONG_STATE on release", 8, 10, decodeScheduled, (s, m) -> s.release(), ApplyException.class),
                new ErrorPath(
                        "WRONG_STATE on reacquire",
                        8,
                        10,
                        decodeScheduled,
                        (s, m) -> block(s.reacquire(m)),
                        ApplyException.class),
                new ErrorPath(
                        "WRONG_STATE on appendTokens",
                        8,
                        10,
                        decodeScheduled,
                        (s, m) -> s.appendTokens(1),
                        ApplyException.class),
                new ErrorPath(
                        "TOKEN_ON_NON_FINAL_CHUNK",
                        8,
                        10,
                        firstChunkScheduled,
                        (s, m) -> block(s.applyPrefill(1, m)),
                        ApplyException.class),
                new ErrorPath(
                        "MISSING_TOKEN_ON_FINAL_CHUNK",
                        8,
                        10,
                        prefillScheduled,
                        (s, m) -> block(s.applyPrefill(m)),
                        ApplyException.class),
                new ErrorPath(
                        "ACCEPTED_EXCEEDS_SCHEDULED",
                        8,
                        10,
                        speculativeScheduled,
                        (s, m) -> block(s.applySpeculative(new int[] {1, 2, 3}, m)),
                        ApplyException.class),
                new ErrorPath(
                        "token on the final chunk of a max-0 request",
                        8,
                        0,
                        prefillScheduled,
                        (s, m) -> block(s.applyPrefill(1, m)),
                        IllegalStateException.class),
                new ErrorPath(
                        "appendTokens over the budget",
                        8,
                        2,
                        prefilled,
                        (s, m) -> s.appendTokens(1, 2),
                        IllegalArgumentException.class),
                new ErrorPath(
                        "dropUnassigned while scheduled",
                        8,
                        10,
                        decodeScheduled,
                        (s, m) -> s.dropUnassigned(1),
                        IllegalStateException.class),
                new ErrorPath(
                        "matchAndAddPrefix while holding blocks",
                        8,
                        10,
                        prefilled,
                        (s, m) -> block(s.matchAndAddPrefix(m)),
                        IllegalStateException.class),
                new ErrorPath(
                        "reacquire while holding blocks",
                        8,
                        10,
                        prefilled,
                        (s, m) -> block(s.reacquire(m)),
                        IllegalStateException.class),
                new ErrorPath(
                        "blocks of another manager",
                        8,
                        10,
                        prefilled,
                        (s, m) -> block(s.scheduleDecode(TestManagers.create(4))),
                        IllegalArgumentException.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errorPaths")
    void failedOperation_changesNothing_andReleaseGivesEveryBlockBack(ErrorPath path) {
        BlockManager m = TestManagers.create(BLOCKS);
        Recorder recorder = new Recorder();
        SchedulableSequence seq = build(path.input(), path.maxOutput(), recorder);
        path.setup().run(seq, m);
        Snapshot before = Snapshot.of(seq, m, recorder);

        assertThatThrownBy(() -> path.failing().run(seq, m)).isInstanceOf(path.error());

        // The audit runs in the drain loop, after anything a timer thread still had queued there (a timed-out wait).
        assertThat(StoreAudit.violations(m)).isEmpty();
        assertThat(Snapshot.of(seq, m, recorder)).isEqualTo(before);
        if (!seq.state().isIdle()) {
            seq.revertSchedule();
        }
        seq.release();
        assertThat(StoreAudit.violations(m)).isEmpty();
        assertThat(m.availableBlocks()).isEqualTo(BLOCKS);
    }

    @Test
    void applyDecode_managerClosedUnderneath_failsAndRevertThenReleaseBalanceTheBooks() {
        BlockManager m = TestManagers.create(BLOCKS);
        SchedulableSequence seq = build(8, 10);
        prefill(seq, m, 1000);
        decode(seq, m, 1001);
        decode(seq, m, 1002);
        seq.scheduleDecode(m).block(TIMEOUT);
        m.close().block(TIMEOUT);

        // the token completes block 2; registering it fails on the closed manager
        assertThatThrownBy(() -> seq.applyDecode(1003, m).block(TIMEOUT)).isInstanceOf(ManagerClosedException.class);

        assertThat(seq.state().kind()).isEqualTo(SequenceState.Kind.DECODE_SCHEDULED);
        assertThat(seq.stagedBlocks()).isEqualTo(1);
        seq.revertSchedule();
        seq.release();
        assertThat(seq.pageIndices()).isEmpty();
        assertThat(m.resetBlocks()).isEqualTo(BLOCKS);
    }

    @Test
    void schedulePrefill_managerClosed_failsIdleNothingHeld() {
        BlockManager m = TestManagers.create(BLOCKS);
        m.close().block(TIMEOUT);
        SchedulableSequence seq = build(8, 10);

        assertThatThrownBy(() -> seq.schedulePrefill(8, m).block(TIMEOUT)).isInstanceOf(ManagerClosedException.class);

        assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
        assertThat(seq.pageIndices()).isEmpty();
    }

    @Test
    void requestSequence_registerStaged_managerClosed_blocksStayStagedAndReleaseReturnsThem() {
        BlockManager m = TestManagers.create(BLOCKS);
        RequestSequence seq = new RequestSequence(io.kvbm.testing.TestTokens.range(0, 8), 1, Sequences.BS);
        seq.allocateBlocks(2, m).block(TIMEOUT);
        seq.stagePending();
        m.close().block(TIMEOUT);

        assertThatThrownBy(() -> seq.registerStaged(m).block(TIMEOUT)).isInstanceOf(ManagerClosedException.class);

        assertThat(seq.stagedBlocks()).isEqualTo(2);
        seq.release();
        assertThat(m.resetBlocks()).isEqualTo(BLOCKS);
    }

    @Test
    void scheduleDecodeWithWait_timesOut_allocationFailedCausedByTheTimeout() {
        BlockManager m = TestManagers.create(2);
        SchedulableSequence seq = build(8, 10);
        prefill(seq, m, 1000);

        assertThatThrownBy(() -> seq.scheduleDecode(m, Duration.ofMillis(20)).block(TIMEOUT))
                .isInstanceOfSatisfying(ScheduleException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ScheduleException.Kind.ALLOCATION_FAILED);
                    assertThat(e.needed()).isEqualTo(1);
                    assertThat(e.getCause()).isInstanceOf(java.util.concurrent.TimeoutException.class);
                });
        assertThat(m.pendingAllocations()).isZero();
        assertThat(seq.pageIndices()).hasSize(2);
        seq.release();
    }

    @Test
    void scheduleWithWait_pendingLimitReached_allocationFailedCausedByIt() {
        BlockManager m = TestManagers.create(2, b -> b.maxPendingAllocations(0));
        List<MutableBlock> elsewhere = m.tryAllocate(2).block(TIMEOUT);
        SchedulableSequence seq = build(8, 10);

        assertThatThrownBy(
                        () -> seq.schedulePrefill(4, m, Duration.ofSeconds(5)).block(TIMEOUT))
                .isInstanceOfSatisfying(
                        ScheduleException.class,
                        e -> assertThat(e.getCause())
                                .isInstanceOf(io.kvbm.manager.AllocationPendingLimitException.class));
        assertThat(seq.state()).isEqualTo(SequenceState.IDLE);
        elsewhere.forEach(MutableBlock::close);
    }
}
