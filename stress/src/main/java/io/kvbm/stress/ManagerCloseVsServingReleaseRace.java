package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.RecordingSubscriber;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@code close()} of the manager vs a pending allocation being served (reactor-pool #80, release racing dispose):
 * 1 block, held; an {@code allocate()} waits. One actor closes the manager, the other releases the held block, which
 * serves the waiter if the manager is still open.
 *
 * <p>Result: the waiter's outcome (1 = got the block, 2 = failed with {@code ManagerClosedException}, 0 = no signal,
 * 3 = something else), blocks in the reset pool once the arbiter closed what the waiter got, allocations still
 * pending, whether the manager is closed, store invariants violated.
 */
@JCStressTest
@Description("manager close() races the release that would serve a waiting allocate()")
@Outcome(
        id = "1, 1, 0, 1, 0",
        expect = ACCEPTABLE,
        desc = "release first: the waiter got the block, which stays valid after close and returns on its close")
@Outcome(
        id = "2, 1, 0, 1, 0",
        expect = ACCEPTABLE,
        desc = "close first: the waiter failed with ManagerClosedException; the released block is free")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "the waiter was never signalled: it would hang")
@Outcome(expect = FORBIDDEN, desc = "a block lost, a waiter left pending, or the books broken")
@State
public class ManagerCloseVsServingReleaseRace {

    private final BlockManager m = Fixtures.manager(1);
    private final MutableBlock held = Fixtures.now(m.allocate());
    private final RecordingSubscriber<MutableBlock> waiter = RecordingSubscriber.requesting();

    public ManagerCloseVsServingReleaseRace() {
        m.allocate().subscribe(waiter);
    }

    @Actor
    public void closeManager() {
        m.close().subscribe();
    }

    @Actor
    public void release() {
        held.close();
    }

    @Arbiter
    public void books(IIIII_Result r) {
        r.r1 = Fixtures.outcome(waiter);
        waiter.values().forEach(MutableBlock::close);
        r.r2 = m.resetBlocks();
        r.r3 = m.pendingAllocations();
        r.r4 = m.isClosed() ? 1 : 0;
        r.r5 = Fixtures.violations(m);
    }
}
