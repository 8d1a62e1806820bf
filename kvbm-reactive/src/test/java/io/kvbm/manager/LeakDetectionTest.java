package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.testing.Gc;
import io.kvbm.testing.HeldBlocksAllowed;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.lang.ref.WeakReference;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Leak detection: a tracked guard that becomes unreachable without {@code close()} is returned to its pool by a
 * {@code Cleaner} and counted in {@code stats().leakedBlocks()}; a closed or consumed guard that is collected is not
 * counted; {@link LeakDetection#DISABLED} tracks nothing.
 *
 * <p>Guards are acquired in helper methods that return only ids, so no stack slot of the test keeps them reachable.
 * The test thread then runs {@code System.gc()} in a bounded loop until the cleaner has done its work, so the
 * after-each books check sees every block back (except in the {@code DISABLED} test, where the block stays held).
 */
class LeakDetectionTest {

    private static final int BS = TestManagers.BLOCK_SIZE;

    @Test
    void mutableBlock_droppedWithoutClose_returnedToResetPoolAndCounted() {
        BlockManager m = TestManagers.create(4);
        int id = leakMutable(m);
        assertThat(m.resetBlocks()).isEqualTo(3);

        Gc.await(() -> m.stats().leakedBlocks() == 1 && m.resetBlocks() == 4);

        assertThat(m.stats().leakedBlocks()).isEqualTo(1);
        assertThat(m.stats().inflightMutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
        // the slot is reusable: the reset pool is FIFO, so it comes back after the three never-used ones
        List<MutableBlock> all = m.allocate(4).block();
        assertThat(all).extracting(MutableBlock::blockId).contains(id);
        all.forEach(MutableBlock::close);
    }

    @Test
    void completeBlock_droppedWithoutClose_returnedToResetPoolAndCounted() {
        BlockManager m = TestManagers.create(2);
        leakComplete(m, TestTokens.roots(1, 1).get(0));
        assertThat(m.resetBlocks()).isEqualTo(1);

        Gc.await(() -> m.stats().leakedBlocks() == 1 && m.resetBlocks() == 2);

        assertThat(m.stats().leakedBlocks()).isEqualTo(1);
        assertThat(m.stats().stagings()).isEqualTo(1);
        assertThat(m.inactiveBlocks()).as("never registered, never cached").isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    void immutableBlock_lastHandleDroppedWithoutClose_registrationGoesToInactivePool() {
        BlockManager m = TestManagers.create(2);
        SequenceHash hash = TestTokens.roots(2, 1).get(0);
        int id = leakImmutable(m, hash);
        assertThat(m.stats().inflightImmutable()).isEqualTo(1);

        Gc.await(() -> m.stats().leakedBlocks() == 1 && m.inactiveBlocks() == 1);

        assertThat(m.stats().leakedBlocks()).isEqualTo(1);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(m.resetBlocks()).isEqualTo(1);
        assertThat(StoreAudit.violations(m)).isEmpty();
        // still cached and found again, in the same block
        List<ImmutableBlock> found = m.match(List.of(hash)).collectList().block();
        assertThat(found).extracting(ImmutableBlock::blockId).containsExactly(id);
        found.forEach(ImmutableBlock::close);
    }

    @Test
    void immutableBlock_oneOfTwoHandlesDropped_blockStaysActiveUntilTheOtherCloses() {
        BlockManager m = TestManagers.create(2);
        SequenceHash hash = TestTokens.roots(3, 1).get(0);
        ImmutableBlock kept = m.register(m.allocate().block().stage(hash, BS)).block();
        leakRetained(kept);
        assertThat(kept.useCount()).isEqualTo(2);

        Gc.await(() -> m.stats().leakedBlocks() == 1 && kept.useCount() == 1);

        assertThat(m.stats().inflightImmutable()).isEqualTo(1);
        assertThat(m.inactiveBlocks()).as("the kept handle holds it active").isZero();
        kept.close();
        assertThat(m.inactiveBlocks()).isEqualTo(1);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(m.stats().leakedBlocks()).isEqualTo(1);
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    void guards_closedOrConsumedThenCollected_areNotCounted() {
        BlockManager m = TestManagers.create(4);
        SequenceHash hash = TestTokens.roots(4, 1).get(0);
        List<WeakReference<Object>> collected = useAndCloseEveryKindOfGuard(m, hash);
        Gc.await(() -> collected.stream().allMatch(r -> r.get() == null));
        assertThat(m.stats().leakedBlocks()).isZero();

        // a canary proves the cleaner runs: once it is counted, nothing else may have been
        leakMutable(m);
        Gc.await(() -> m.stats().leakedBlocks() >= 1 && m.resetBlocks() + m.inactiveBlocks() == 4);
        assertThat(m.stats().leakedBlocks()).as("only the canary").isEqualTo(1);
        assertThat(m.inactiveBlocks()).isEqualTo(1);
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    void completeBlock_leftLiveByFailedRegisterAllThenDropped_isStillTracked() {
        BlockManager m = TestManagers.create(2);
        List<SequenceHash> hashes = TestTokens.roots(5, 2);
        leakAfterFailedRegisterAll(m, hashes);
        assertThat(m.stats().stagings()).isEqualTo(2);
        assertThat(m.resetBlocks())
                .as("the closed block is back, the live one is held")
                .isEqualTo(1);

        Gc.await(() -> m.stats().leakedBlocks() == 1 && m.resetBlocks() == 2);

        assertThat(m.stats().leakedBlocks())
                .as("registerAll gave the block back live: it must still be tracked")
                .isEqualTo(1);
        assertThat(m.stats().registrations()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    @HeldBlocksAllowed
    void disabled_guardDroppedWithoutClose_isNotTrackedAndStaysHeld() {
        BlockManager m = TestManagers.create(2, b -> b.leakDetection(LeakDetection.DISABLED));
        WeakReference<Object> guard = leakMutableRef(m);
        // a canary on a tracking manager proves the cleaner ran while the untracked guard was long gone
        BlockManager canary = TestManagers.create(1);
        Gc.await(() -> guard.get() == null);
        leakMutable(canary);
        Gc.await(() -> canary.stats().leakedBlocks() == 1 && canary.resetBlocks() == 1);

        assertThat(m.stats().leakedBlocks()).isZero();
        assertThat(m.resetBlocks())
                .as("the leaked block is lost until the manager is discarded")
                .isEqualTo(1);
        assertThat(StoreAudit.heldBlocks(m)).isEqualTo(1);
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // acquisitions in their own frames, so that nothing but the returned value survives them

    private static int leakMutable(BlockManager m) {
        MutableBlock b = m.allocate().block();
        return b.blockId();
    }

    private static WeakReference<Object> leakMutableRef(BlockManager m) {
        return new WeakReference<>(m.allocate().block());
    }

    private static int leakComplete(BlockManager m, SequenceHash hash) {
        CompleteBlock c = m.allocate().block().stage(hash, BS);
        return c.blockId();
    }

    private static int leakImmutable(BlockManager m, SequenceHash hash) {
        ImmutableBlock h = m.register(m.allocate().block().stage(hash, BS)).block();
        return h.blockId();
    }

    private static void leakRetained(ImmutableBlock kept) {
        ImmutableBlock other = kept.retain();
        assertThat(other.blockId()).isEqualTo(kept.blockId());
    }

    private static void leakAfterFailedRegisterAll(BlockManager m, List<SequenceHash> hashes) {
        List<MutableBlock> blocks = m.allocate(2).block();
        CompleteBlock live = blocks.get(0).stage(hashes.get(0), BS);
        CompleteBlock closed = blocks.get(1).stage(hashes.get(1), BS);
        var registration = m.registerAll(List.of(live, closed)); // validated now, consumed on subscription
        closed.close();
        assertThatThrownBy(registration::block).isInstanceOf(IllegalStateException.class);
        // all or nothing: `live` was not consumed and still belongs to us...
        assertThat(live.toString()).contains("live");
        // ...and we drop it without closing it
    }

    /** Every kind of guard, each closed or consumed properly; returns weak references to all of them. */
    private static List<WeakReference<Object>> useAndCloseEveryKindOfGuard(BlockManager m, SequenceHash hash) {
        MutableBlock closedMutable = m.allocate().block();
        closedMutable.close();
        MutableBlock staged = m.allocate().block();
        CompleteBlock registered = staged.stage(hash, BS);
        ImmutableBlock handle = m.register(registered).block();
        ImmutableBlock retained = handle.retain();
        retained.close();
        handle.close();
        CompleteBlock closedComplete =
                m.allocate().block().stage(TestTokens.roots(40, 1).get(0), BS);
        closedComplete.close();
        CompleteBlock reset = m.allocate().block().stage(TestTokens.roots(41, 1).get(0), BS);
        MutableBlock unstaged = reset.reset();
        unstaged.close();
        return List.of(
                new WeakReference<>(closedMutable),
                new WeakReference<>(staged),
                new WeakReference<>(registered),
                new WeakReference<>(handle),
                new WeakReference<>(retained),
                new WeakReference<>(closedComplete),
                new WeakReference<>(reset),
                new WeakReference<>(unstaged));
    }
}
