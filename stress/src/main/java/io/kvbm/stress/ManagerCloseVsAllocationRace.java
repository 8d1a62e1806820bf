package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.MetricsRecorder;
import io.kvbm.testing.RecordingSubscriber;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@code close()} of the manager vs an allocation that must wait: 1 block, held; one actor closes the manager while
 * the other subscribes {@code allocate()}. Whether the allocation joined the line before the close (and was failed by
 * it) or came after (and was refused), it must fail with {@code ManagerClosedException} and never be left waiting in
 * a closed manager. A metrics recorder tells the two apart: only an allocation that waited reports a wait.
 *
 * <p>Result: the allocation's outcome (2 = {@code ManagerClosedException}, 1 = got a block, 0 = no signal, 3 = other),
 * waits that ended in failure, allocations still pending, store invariants violated.
 */
@JCStressTest
@Description("manager close() races the subscription of an allocate() that has to wait")
@Outcome(
        id = "2, 1, 0, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "the allocation joined the line first; close failed it with ManagerClosedException")
@Outcome(
        id = "2, 0, 0, 0",
        expect = ACCEPTABLE,
        desc = "close first: the allocation was refused with ManagerClosedException without waiting")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "the allocation was never signalled: it would hang")
@Outcome(expect = FORBIDDEN, desc = "a block handed out by a closed manager, a waiter left pending, or broken books")
@State
public class ManagerCloseVsAllocationRace {

    private final AtomicInteger failedWaits = new AtomicInteger();
    private final BlockManager m = Fixtures.builder(1)
            .metrics(manager -> (nanos, outcome) -> {
                if (outcome == MetricsRecorder.WaitOutcome.FAILED) {
                    failedWaits.incrementAndGet();
                }
            })
            .build();
    private final MutableBlock held = Fixtures.now(m.allocate());
    private final RecordingSubscriber<MutableBlock> allocation = RecordingSubscriber.requesting();

    @Actor
    public void closeManager() {
        m.close().subscribe();
    }

    @Actor
    public void allocate() {
        m.allocate().subscribe(allocation);
    }

    @Arbiter
    public void books(IIII_Result r) {
        r.r1 = Fixtures.outcome(allocation);
        allocation.values().forEach(MutableBlock::close);
        held.close();
        r.r2 = failedWaits.get();
        r.r3 = m.pendingAllocations();
        r.r4 = Fixtures.violations(m) + (m.resetBlocks() == 1 ? 0 : 1);
    }
}
