package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.manager.BlockManager;
import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@link BlockManager#closeAll} of two last handles on one thread vs {@code close()} of the first of them on another:
 * the batch claims each handle with the same state word as {@code close()}, so the handle both race for is released
 * exactly once, by whichever wins, and the batch still releases the other one. A double release would put one block
 * into the inactive pool twice (the audit sees the pool and the slot states disagree); a lost one would leave a block
 * PRIMARY with no handle.
 *
 * <p>Result: slots in the PRIMARY state, blocks in the inactive pool, open handles counted by the manager, slots in
 * the INACTIVE state (audit), store invariants violated.
 */
@JCStressTest
@Description("closeAll([a, b]) vs a.close(), a and b the last handles of two blocks")
@Outcome(
        id = "0, 2, 0, 2, 0",
        expect = ACCEPTABLE,
        desc = "each handle released exactly once, whichever thread won a; both blocks cached")
@Outcome(expect = FORBIDDEN, desc = "a handle released twice or not at all")
@State
public class BulkCloseVsCloseRace {

    private final BlockManager m = Fixtures.manager(4);
    private final ImmutableBlock a =
            Fixtures.now(m.register(Fixtures.now(m.allocate()).stage(Fixtures.hash(0), Fixtures.BLOCK_SIZE)));
    private final ImmutableBlock b =
            Fixtures.now(m.register(Fixtures.now(m.allocate()).stage(Fixtures.hash(1), Fixtures.BLOCK_SIZE)));
    private final List<ImmutableBlock> batch = List.of(a, b);

    @Actor
    public void closeAll() {
        m.closeAll(batch);
    }

    @Actor
    public void closeOne() {
        a.close();
    }

    @Arbiter
    public void books(IIIII_Result r) {
        r.r1 = Fixtures.states(m)[3];
        r.r2 = m.inactiveBlocks();
        r.r3 = (int) m.stats().inflightImmutable();
        r.r4 = Fixtures.states(m)[5];
        r.r5 = Fixtures.violations(m);
    }
}
