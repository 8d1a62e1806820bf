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
 * Shortcuts that drive a manager through its lifecycle from the test thread, for tests whose subject is what happens
 * next. They block on the manager's {@link reactor.core.publisher.Mono}s, so they MUST NOT be called on a
 * non-blocking ({@code parallel()}) thread (BlockHound would reject the wait).
 *
 * <p>They never wait for blocks: {@link #allocate} and everything built on it fail at once when the blocks are not
 * free, instead of hanging until {@link #TIMEOUT}.
 */
public final class TestBlocks {

    /** Long enough for a busy CI machine, short enough that a lost signal fails the test instead of hanging it. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private TestBlocks() {}

    /**
     * Allocates {@code n} blocks now ({@code tryAllocate}), evicting cached blocks if the reset pool is short; the
     * caller owns them.
     *
     * @throws IllegalStateException if {@code n} blocks are not free now
     */
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

    /** Allocates one block and stages it with {@code hash}; the caller owns the staged block. */
    public static CompleteBlock stage(BlockManager manager, SequenceHash hash) {
        return stage(manager, List.of(hash)).get(0);
    }

    /** Allocates, stages and registers one block per hash in one {@code registerAll}; the caller owns the handles. */
    public static List<ImmutableBlock> register(BlockManager manager, List<SequenceHash> hashes) {
        return manager.registerAll(stage(manager, hashes)).block(TIMEOUT);
    }

    /** Allocates, stages and registers one block; the caller owns the handle. */
    public static ImmutableBlock register(BlockManager manager, SequenceHash hash) {
        return register(manager, List.of(hash)).get(0);
    }

    /**
     * Registers one block per hash and closes the handles in hash order, leaving the blocks cached in the inactive
     * pool; under LRU and FIFO the first hash is then the first victim.
     */
    public static void cache(BlockManager manager, List<SequenceHash> hashes) {
        closeAll(register(manager, hashes));
    }

    /** Matches {@code hashes} and collects every emitted handle; the caller owns them. */
    public static List<ImmutableBlock> match(BlockManager manager, List<SequenceHash> hashes) {
        return manager.match(hashes).collectList().block(TIMEOUT);
    }

    /** Closes every guard (MutableBlock, CompleteBlock, ImmutableBlock) in the collection, in order. */
    public static void closeAll(Iterable<? extends AutoCloseable> guards) {
        for (AutoCloseable guard : guards) {
            try {
                guard.close();
            } catch (Exception e) {
                throw new AssertionError("closing " + guard + " threw", e);
            }
        }
    }

    /** The block ids of the guards, in order. */
    public static List<Integer> ids(List<?> guards) {
        List<Integer> ids = new ArrayList<>(guards.size());
        for (Object guard : guards) {
            if (guard instanceof MutableBlock) {
                ids.add(((MutableBlock) guard).blockId());
            } else if (guard instanceof CompleteBlock) {
                ids.add(((CompleteBlock) guard).blockId());
            } else if (guard instanceof ImmutableBlock) {
                ids.add(((ImmutableBlock) guard).blockId());
            } else {
                throw new IllegalArgumentException("not a block guard: " + guard);
            }
        }
        return ids;
    }
}
