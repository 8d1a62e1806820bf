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
 * Two {@code close()} of one {@link ImmutableBlock} handle on two threads, while a second handle (a {@code retain()})
 * of the same block stays open: the shared reference count must drop by exactly one, from any thread, without the
 * drain loop. A double decrement would release the block under the other handle's feet (it would go to the inactive
 * pool, evictable, while still in use).
 *
 * <p>Result: the other handle's use count, slots in the PRIMARY state, blocks in the inactive pool, open handles
 * counted by the manager, store invariants violated.
 */
@JCStressTest
@Description("close() of one ImmutableBlock handle on two threads while another handle of the block stays open")
@Outcome(
        id = "1, 1, 0, 1, 0",
        expect = ACCEPTABLE,
        desc = "one reference dropped: the block stays active under the other handle")
@Outcome(id = "0, 0, 1, .*", expect = FORBIDDEN, desc = "released twice: the block went inactive while still held")
@Outcome(expect = FORBIDDEN, desc = "any other count: a reference lost or kept")
@State
public class ImmutableBlockDoubleCloseRace {

    private final BlockManager m = Fixtures.manager(2);
    private final ImmutableBlock handle =
            Fixtures.now(m.register(Fixtures.now(m.allocate()).stage(Fixtures.hash(0), Fixtures.BLOCK_SIZE)));
    private final ImmutableBlock other = handle.retain();

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
        r.r1 = other.useCount();
        r.r2 = Fixtures.states(m)[3];
        r.r3 = m.inactiveBlocks();
        r.r4 = (int) m.stats().inflightImmutable();
        r.r5 = Fixtures.violations(m);
    }
}
