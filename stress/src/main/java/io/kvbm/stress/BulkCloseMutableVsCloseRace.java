package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@link BlockManager#closeAllMutable} of two blocks on one thread vs {@code close()} of the first of them on another:
 * the block both race for goes back to the reset pool exactly once. A double release would push its id into the reset
 * pool twice (two later allocations would share one slot), which the reset count and the audit report.
 *
 * <p>Result: blocks in the reset pool, blocks counted as in-flight mutable, slots in the MUTABLE state (audit), store
 * invariants violated.
 */
@JCStressTest
@Description("closeAllMutable([x, y]) vs x.close(): each slot back in the reset pool exactly once")
@Outcome(id = "3, 0, 0, 0", expect = ACCEPTABLE, desc = "both slots released once, whichever thread won x")
@Outcome(expect = FORBIDDEN, desc = "a slot released twice or not at all")
@State
public class BulkCloseMutableVsCloseRace {

    private final BlockManager m = Fixtures.manager(3);
    private final MutableBlock x = Fixtures.now(m.allocate());
    private final MutableBlock y = Fixtures.now(m.allocate());
    private final List<MutableBlock> batch = List.of(x, y);

    @Actor
    public void closeAll() {
        m.closeAllMutable(batch);
    }

    @Actor
    public void closeOne() {
        x.close();
    }

    @Arbiter
    public void books(IIII_Result r) {
        r.r1 = m.resetBlocks();
        r.r2 = (int) m.stats().inflightMutable();
        r.r3 = Fixtures.states(m)[1];
        r.r4 = Fixtures.violations(m);
    }
}
