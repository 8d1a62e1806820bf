package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.manager.BlockManager;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * Two {@code close()} of the <em>last</em> {@link ImmutableBlock} handle of a block on two threads: the last
 * reference is dropped inside the drain loop together with the Primary → Inactive transition; it must happen once
 * (twice would insert the block into the inactive index twice, or fail the loop with "released more often than
 * held").
 *
 * <p>Result: slots in the PRIMARY state, blocks in the inactive pool, open handles counted by the manager, the
 * handle's use count, store invariants violated (internal errors of the loop included).
 */
@JCStressTest
@Description("close() of the last handle of a registered block on two threads at once")
@Outcome(id = "0, 1, 0, 0, 0", expect = ACCEPTABLE, desc = "released once: the block is cached in the inactive pool")
@Outcome(expect = FORBIDDEN, desc = "released twice or not at all, or an internal error in the drain loop")
@State
public class LastHandleDoubleCloseRace {

    private final BlockManager m = Fixtures.manager(2);
    private final ImmutableBlock handle =
            Fixtures.now(m.register(Fixtures.now(m.allocate()).stage(Fixtures.hash(0), Fixtures.BLOCK_SIZE)));

    @Actor
    public void close1() {
        handle.close();
    }

    @Actor
    public void close2() {
        handle.close();
    }

    @Arbiter
    public void books(IIIII_Result r) {
        r.r1 = Fixtures.states(m)[3];
        r.r2 = m.inactiveBlocks();
        r.r3 = (int) m.stats().inflightImmutable();
        r.r4 = handle.useCount();
        r.r5 = Fixtures.violations(m);
    }
}
