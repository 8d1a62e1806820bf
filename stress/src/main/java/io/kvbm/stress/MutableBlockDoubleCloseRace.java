package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Two {@code close()} of one {@link MutableBlock} on two threads: the guard's state word must let exactly one of them
 * release the slot. A double release would push the id into the reset pool twice (two later allocations would then
 * share one slot), which the audit reports.
 *
 * <p>Result: blocks in the reset pool, blocks counted as in-flight mutable, slots in the MUTABLE state (audit),
 * store invariants violated.
 */
@JCStressTest
@Description("close() of one MutableBlock on two threads at once: exactly one release")
@Outcome(id = "2, 0, 0, 0", expect = ACCEPTABLE, desc = "one close released the slot, the other did nothing")
@Outcome(expect = FORBIDDEN, desc = "released twice or not at all")
@State
public class MutableBlockDoubleCloseRace {

    private final BlockManager m = Fixtures.manager(2);
    private final MutableBlock block = Fixtures.now(m.allocate());

    @Actor
    public void close1() {
        block.close();
    }

    @Actor
    public void close2() {
        block.close();
    }

    @Arbiter
    public void books(IIII_Result r) {
        r.r1 = m.resetBlocks();
        r.r2 = (int) m.stats().inflightMutable();
        r.r3 = Fixtures.states(m)[1];
        r.r4 = Fixtures.violations(m);
    }
}
