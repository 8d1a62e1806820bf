package io.kvbm.block;

import io.kvbm.tokens.SequenceHash;

/**
 * A block slot that holds data for a known {@link SequenceHash} but is not yet registered: the {@code Staged} state.
 *
 * <p>It is consumed by {@link io.kvbm.manager.BlockManager#register(CompleteBlock)}, which turns it into a shared
 * {@link ImmutableBlock}, or rolled back by {@link #reset()}. {@link #close()} returns the slot to the reset pool: a
 * block that was never registered is never cached.
 *
 * <p>Single-owner and NOT thread-safe, like {@link MutableBlock}. Methods called after the guard was consumed or
 * closed throw {@link IllegalStateException} naming the block id and the state. Instances are created by the library
 * only; do not implement this interface.
 */
public interface CompleteBlock extends AutoCloseable {

    /**
     * Returns the slot index of this block inside its manager.
     *
     * @return the block id, the same as the {@link MutableBlock} this guard came from
     */
    int blockId();

    /**
     * Returns the number of tokens this block holds.
     *
     * @return the block size in tokens
     */
    int blockSize();

    /**
     * Returns the hash the block was staged with.
     *
     * @return the sequence hash
     */
    SequenceHash sequenceHash();

    /**
     * Rolls the block back to the {@code Mutable} state and consumes this guard.
     *
     * <p>The slot keeps its id; its evict-on-release flag returns to the manager's default.
     *
     * @return a {@link MutableBlock} for the same slot
     * @throws IllegalStateException if this guard was already consumed or closed
     */
    MutableBlock reset();

    /**
     * Returns the slot to the reset pool unless the guard was already consumed or closed.
     *
     * <p>Idempotent and non-blocking.
     */
    @Override
    void close();
}
