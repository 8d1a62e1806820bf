package io.kvbm.testing;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Shortcuts that bring a manager into a given state, for tests whose subject is what happens next.
 *
 * <p>They wait with {@code block(...)}, so call them from the test thread only, never from a {@code parallel()}
 * thread (BlockHound would reject the wait).
 */
public final class TestGuards {

    /** Generous: every operation here completes during subscribe unless a test made the manager wait. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private TestGuards() {}

    /** Allocates {@code n} blocks now; fails if they are not free. */
    public static List<MutableBlock> allocate(BlockManager manager, int n) {
        List<MutableBlock> blocks = manager.tryAllocate(n).block(TIMEOUT);
        if (blocks == null) {
            throw new IllegalStateException(n + " blocks are not free in " + manager);
        }
        return blocks;
    }

    /** Allocates one block per hash and stages it with that hash; the caller owns the staged blocks. */
    public static List<CompleteBlock> stage(BlockManager manager, List<SequenceHash> hashes) {
        List<MutableBlock> blocks = allocate(manager, hashes.size());
        List<CompleteBlock> staged = new ArrayList<>(hashes.size());
        for (int i = 0; i < hashes.size(); i++) {
            staged.add(blocks.get(i).stage(hashes.get(i), manager.blockSize()));
        }
        return staged;
    }

    /** Allocates, stages and registers one block per hash in one batch; the caller owns the handles. */
    public static List<ImmutableBlock> register(BlockManager manager, List<SequenceHash> hashes) {
        return manager.registerAll(stage(manager, hashes)).block(TIMEOUT);
    }

    /**
     * Registers one block per hash and closes the handles in hash order, leaving the blocks cached in the inactive
     * pool; under LRU and FIFO the first hash is then the first victim.
     */
    public static void cache(BlockManager manager, List<SequenceHash> hashes) {
        closeAll(register(manager, hashes));
    }

    /** Closes every guard in order. */
    public static void closeAll(Iterable<? extends AutoCloseable> guards) {
        for (AutoCloseable guard : guards) {
            try {
                guard.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + guard + " failed", e);
            }
        }
    }
}
