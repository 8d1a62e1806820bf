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
 * Shortcuts that drive a manager through its lifecycle from the test thread. They block on the manager's
 * {@link reactor.core.publisher.Mono}s, so they MUST NOT be called on a non-blocking ({@code parallel()}) thread.
 */
public final class TestBlocks {

    /** Long enough for a busy CI machine, short enough that a lost signal fails the test instead of hanging it. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private TestBlocks() {}

    /** Allocates one block per hash and stages it with that hash; the caller owns the staged blocks. */
    public static List<CompleteBlock> stage(BlockManager manager, List<SequenceHash> hashes) {
        List<MutableBlock> blocks = manager.allocate(hashes.size()).block(TIMEOUT);
        List<CompleteBlock> staged = new ArrayList<>(hashes.size());
        for (int i = 0; i < hashes.size(); i++) {
            staged.add(blocks.get(i).stage(hashes.get(i), manager.blockSize()));
        }
        return staged;
    }

    /** Allocates, stages and registers one block per hash in one {@code registerAll}; the caller owns the handles. */
    public static List<ImmutableBlock> register(BlockManager manager, List<SequenceHash> hashes) {
        return manager.registerAll(stage(manager, hashes)).block(TIMEOUT);
    }

    /** Allocates, stages and registers one block; the caller owns the handle. */
    public static ImmutableBlock register(BlockManager manager, SequenceHash hash) {
        return register(manager, List.of(hash)).get(0);
    }

    /** Registers the hashes and closes the handles at once, leaving the blocks cached in the inactive pool. */
    public static void cache(BlockManager manager, List<SequenceHash> hashes) {
        closeAll(register(manager, hashes));
    }

    /** Matches {@code hashes} and collects every emitted handle; the caller owns them. */
    public static List<ImmutableBlock> match(BlockManager manager, List<SequenceHash> hashes) {
        return manager.match(hashes).collectList().block(TIMEOUT);
    }

    /** Closes every guard (MutableBlock, CompleteBlock, ImmutableBlock) in the collection. */
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
