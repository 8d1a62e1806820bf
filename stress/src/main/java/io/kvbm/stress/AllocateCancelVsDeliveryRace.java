package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
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
 * Cancel vs delivery of {@code allocate(n)} (reactor-pool #263/#265/#268 at the n-block grain): 4 free blocks, a
 * subscriber of {@code allocate(3)} whose {@code request(1)} (which serves it inline) races its {@code cancel()}.
 *
 * <p>Result: blocks delivered to the subscriber (−1 if it got a value without {@code onComplete}), blocks in the
 * reset pool, blocks the store handed out (the allocation counter), store invariants violated.
 */
@JCStressTest
@Description("allocate(3) of 4 free blocks: request(1) races cancel(); all 3 blocks end exactly once with the"
        + " subscriber or back in the reset pool")
@Outcome(
        id = "3, 1, 3, 0",
        expect = ACCEPTABLE,
        desc = "delivered: the request won, the subscriber owns the 3 blocks (a later cancel is too late)")
@Outcome(id = "0, 4, 0, 0", expect = ACCEPTABLE, desc = "cancelled before the loop reached the request: nothing taken")
@Outcome(
        id = "0, 4, 3, 0",
        expect = ACCEPTABLE_INTERESTING,
        desc = "cancelled while the loop took the blocks: its commit CAS lost, all 3 put back, nothing signalled")
@Outcome(expect = FORBIDDEN, desc = "a block lost, duplicated or partly delivered, or the books broken")
@State
public class AllocateCancelVsDeliveryRace {

    private final BlockManager m = Fixtures.manager(4);
    private final RecordingSubscriber<List<MutableBlock>> sub = RecordingSubscriber.manual();

    public AllocateCancelVsDeliveryRace() {
        m.allocate(3).subscribe(sub);
    }

    @Actor
    public void request() {
        sub.request(1);
    }

    @Actor
    public void cancel() {
        sub.cancel();
    }

    @Arbiter
    public void books(IIII_Result r) {
        List<List<MutableBlock>> values = sub.values();
        r.r1 = values.isEmpty()
                ? 0
                : values.size() == 1 && sub.isCompleted() ? values.get(0).size() : -1;
        r.r2 = m.resetBlocks();
        r.r3 = (int) m.stats().allocations();
        r.r4 = Fixtures.violations(m);
    }
}
