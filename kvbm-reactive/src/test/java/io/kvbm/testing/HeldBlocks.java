package io.kvbm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.manager.BlockManager;
import java.util.HashSet;
import java.util.Set;

/**
 * The block ids a test currently holds through live guards, for race and stress tests: claiming an id that is already
 * held fails the test at once (two live guards on one slot means a block was handed out twice), and
 * {@link #assertBooksBalance} checks {@code resetBlocks() + inactiveBlocks() + held == totalBlocks()}.
 *
 * <p>Count a registered block once however many {@code ImmutableBlock} handles of it the test holds. Not
 * thread-safe: use it from the test thread between races (or from one worker).
 */
public final class HeldBlocks {

    private final Set<Integer> ids = new HashSet<>();

    /** Records that a live guard for {@code blockId} is held; fails if one already is. */
    public void claim(int blockId, Object context) {
        assertThat(ids.add(blockId))
                .as("block %d handed out while a live guard of it is still held (%s); held: %s", blockId, context, ids)
                .isTrue();
    }

    /** Records that the guard of {@code blockId} was closed or consumed into nothing held. */
    public void release(int blockId) {
        assertThat(ids.remove(blockId))
                .as("block %d released but not held", blockId)
                .isTrue();
    }

    public boolean holds(int blockId) {
        return ids.contains(blockId);
    }

    public int size() {
        return ids.size();
    }

    /** {@code reset + inactive + held == total}: call when no operation of {@code manager} is in flight. */
    public void assertBooksBalance(BlockManager manager, Object context) {
        int reset = manager.resetBlocks();
        int inactive = manager.inactiveBlocks();
        assertThat(reset + inactive + ids.size())
                .as(
                        "books of %s (%s): reset %d + inactive %d + held %d (%s) != total",
                        manager, context, reset, inactive, ids.size(), ids)
                .isEqualTo(manager.totalBlocks());
    }
}
