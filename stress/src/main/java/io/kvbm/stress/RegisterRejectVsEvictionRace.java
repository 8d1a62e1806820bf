package io.kvbm.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.DuplicationPolicy;
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
 * {@code register} under {@link DuplicationPolicy#REJECT} vs eviction of the existing primary: 2 blocks; block A
 * registered hash H and is cached (inactive); block B is staged with the same H, so the reset pool is empty. One
 * actor registers B, the other allocates one block, which can only be served by evicting A or by taking B back after
 * REJECT returned it.
 *
 * <p>Result: the block the registration's handle refers to (0 = A, 1 = B, −1 = none), the block the allocation got
 * (same coding), whether the registry still holds H in this tier, evictions, store invariants violated.
 */
@JCStressTest
@Description("register(B) under REJECT races an allocation that evicts the cached primary A of the same hash")
@Outcome(
        id = "0, 1, 1, 0, 0",
        expect = ACCEPTABLE,
        desc = "register first: REJECT resurrected the cached primary A and returned B to the reset pool,"
                + " where the allocation found it (no eviction)")
@Outcome(
        id = "1, 0, 1, 1, 0",
        expect = ACCEPTABLE,
        desc = "allocation first: it evicted A; the hash was then new, so B became its primary")
@Outcome(
        id = "0, 0, .*",
        expect = FORBIDDEN,
        desc = "double ownership: the handle's block was also handed out as mutable")
@Outcome(expect = FORBIDDEN, desc = "a block lost, the hash dropped from the registry, or the books broken")
@State
public class RegisterRejectVsEvictionRace {

    private final BlockManager m = Fixtures.manager(2, DuplicationPolicy.REJECT);
    private final SequenceHash hash = Fixtures.hash(0);
    private final int a;
    private final int b;
    private final CompleteBlock staged;
    private final RecordingSubscriber<ImmutableBlock> registered = RecordingSubscriber.requesting();
    private final RecordingSubscriber<MutableBlock> allocated = RecordingSubscriber.requesting();

    public RegisterRejectVsEvictionRace() {
        List<MutableBlock> blocks = Fixtures.now(m.allocate(2));
        a = blocks.get(0).blockId();
        b = blocks.get(1).blockId();
        Fixtures.now(m.register(blocks.get(0).stage(hash, Fixtures.BLOCK_SIZE))).close(); // A cached
        staged = blocks.get(1).stage(hash, Fixtures.BLOCK_SIZE);
    }

    @Actor
    public void register() {
        m.register(staged).subscribe(registered);
    }

    @Actor
    public void allocate() {
        m.allocate().subscribe(allocated);
    }

    @Arbiter
    public void books(IIIII_Result r) {
        List<ImmutableBlock> handles = registered.values();
        List<MutableBlock> blocks = allocated.values();
        r.r1 = handles.size() == 1 ? code(handles.get(0).blockId()) : -1;
        r.r2 = blocks.size() == 1 ? code(blocks.get(0).blockId()) : -1;
        r.r3 = m.registry().isPresent(hash, m.tier()) ? 1 : 0;
        r.r4 = (int) m.stats().evictions();
        r.r5 = Fixtures.violations(m);
    }

    private int code(int blockId) {
        return blockId == a ? 0 : blockId == b ? 1 : -2;
    }
}
