package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.CompleteBlock;
import io.kvbm.manager.BlockManager;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Two {@code close()} of one staged {@link CompleteBlock} on two threads: exactly one releases the slot.
 *
 * <p>Result: blocks in the reset pool, slots in the STAGED state, registrations, store invariants violated.
 */
@JCStressTest
@Description("close() of one CompleteBlock on two threads at once: exactly one release")
@Outcome(id = "2, 0, 0, 0", expect = ACCEPTABLE, desc = "one close released the staged slot, the other did nothing")
@Outcome(expect = FORBIDDEN, desc = "released twice or not at all")
@State
public class CompleteBlockDoubleCloseRace {

    private final BlockManager m = Fixtures.manager(2);
    private final CompleteBlock block = Fixtures.now(m.allocate()).stage(Fixtures.hash(0), Fixtures.BLOCK_SIZE);

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
        r.r2 = Fixtures.states(m)[2];
        r.r3 = (int) m.stats().registrations();
        r.r4 = Fixtures.violations(m);
    }
}
