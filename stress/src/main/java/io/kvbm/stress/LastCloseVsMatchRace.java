package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.RecordingSubscriber;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * The last {@code close()} of an {@link ImmutableBlock} vs {@code match} of its hash: kvbm's race (a lookup finding a
 * primary whose last holder is mid-release) cannot occur because the last reference is dropped in the drain loop
 * together with the Primary → Inactive transition, so the hash is always reachable from the active map or the
 * inactive index, never neither.
 *
 * <p>Result: blocks matched (−1 if the match did not complete), whether the match returned the same block (1) or
 * another (0), the closed handle's entry use count after the race (1: the match shared the live registration; 0: the
 * close came first and the match brought the block back from the inactive pool with a fresh one), blocks in the
 * inactive pool once the arbiter closed the match's handle, store invariants violated.
 */
@JCStressTest
@Description("close() of the only handle of a block races match() of its hash")
@Outcome(
        id = "1, 1, 1, 1, 0",
        expect = ACCEPTABLE,
        desc = "match first: it shared the active block; the close then dropped one of two references")
@Outcome(
        id = "1, 1, 0, 1, 0",
        expect = ACCEPTABLE,
        desc = "close first: the block went to the inactive pool; the match brought it back with a new registration")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "the match missed a hash the tier never stopped holding")
@Outcome(expect = FORBIDDEN, desc = "another block, a reference lost or kept, or the books broken")
@State
public class LastCloseVsMatchRace {

    private final BlockManager m = Fixtures.manager(2);
    private final SequenceHash hash = Fixtures.hash(0);
    private final List<SequenceHash> lookup = List.of(hash);
    private final ImmutableBlock handle =
            Fixtures.now(m.register(Fixtures.now(m.allocate()).stage(hash, Fixtures.BLOCK_SIZE)));
    private final RecordingSubscriber<ImmutableBlock> matched = RecordingSubscriber.requesting();

    @Actor
    public void close() {
        handle.close();
    }

    @Actor
    public void match() {
        m.match(lookup).subscribe(matched);
    }

    @Arbiter
    public void books(IIIII_Result r) {
        List<ImmutableBlock> hits = matched.values();
        r.r1 = matched.isCompleted() ? hits.size() : -1;
        r.r2 = hits.size() == 1 && hits.get(0).blockId() == handle.blockId() ? 1 : 0;
        r.r3 = handle.useCount();
        hits.forEach(ImmutableBlock::close);
        r.r4 = m.inactiveBlocks();
        r.r5 = Fixtures.violations(m);
    }
}
