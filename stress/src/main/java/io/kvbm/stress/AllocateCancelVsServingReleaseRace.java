package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.RecordingSubscriber;
import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Cancel vs delivery of a <em>waiting</em> {@code allocate(n)}: 2 blocks, both held; an {@code allocate(2)} waits.
 * One actor closes the two held blocks (the second close serves the waiter from inside the release, on the
 * releasing thread); the other cancels the waiter.
 *
 * <p>Result: blocks delivered to the waiter (−1 if a value came without {@code onComplete}), blocks in the reset pool,
 * allocations still pending, store invariants violated. The allocation counter tells the two ways of cancelling apart
 * only by timing, so it is not part of the outcome; every block is accounted for either way.
 */
@JCStressTest
@Description("allocate(2) waits while 2 blocks are held; closing them races cancel() of the waiter")
@Outcome(
        id = "2, 0, 0, 0",
        expect = ACCEPTABLE,
        desc = "served: the second release handed both blocks to the waiter before the cancel")
@Outcome(
        id = "0, 2, 0, 0",
        expect = ACCEPTABLE,
        desc = "cancelled: the waiter left the line (or gave back what was being handed over); both blocks free")
@Outcome(id = "0, 2, 1, 0", expect = FORBIDDEN, desc = "a cancelled waiter still counted as pending")
@Outcome(expect = FORBIDDEN, desc = "a block lost or duplicated, a partial delivery, or the books broken")
@State
public class AllocateCancelVsServingReleaseRace {

    private final BlockManager m = Fixtures.manager(2);
    private final List<MutableBlock> held = Fixtures.now(m.allocate(2));
    private final RecordingSubscriber<List<MutableBlock>> waiter = RecordingSubscriber.requesting();

    public AllocateCancelVsServingReleaseRace() {
        m.allocate(2).subscribe(waiter);
    }

    @Actor
    public void release() {
        held.get(0).close();
        held.get(1).close();
    }

    @Actor
    public void cancel() {
        waiter.cancel();
    }

    @Arbiter
    public void books(IIII_Result r) {
        List<List<MutableBlock>> values = waiter.values();
        r.r1 = values.isEmpty()
                ? 0
                : values.size() == 1 && waiter.isCompleted() ? values.get(0).size() : -1;
        r.r2 = m.resetBlocks();
        r.r3 = m.pendingAllocations();
        r.r4 = Fixtures.violations(m);
    }
}
