package io.kvbm.block;

import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;

/**
 * An exclusively owned block slot that the caller may fill with KV data: the {@code Mutable} state of the lifecycle.
 *
 * <p>A {@code MutableBlock} is obtained from {@link io.kvbm.manager.BlockManager#allocate(int)} (or one of its
 * siblings) or from {@link CompleteBlock#reset()}. It identifies a physical slot ({@link #blockId()}) of one manager;
 * the data itself lives outside this library (device memory, a host buffer, a file), addressed by that id.
 *
 * <p><strong>Ownership.</strong> The guard is single-owner and NOT thread-safe: hand it over between threads only
 * with a happens-before edge (a Reactor operator, a queue). It ends in exactly one of two ways:
 *
 * <ul>
 *   <li>{@link #stage(SequenceHash, int)} or {@link #complete(TokenBlock)} <em>consumes</em> it and returns the
 *       {@link CompleteBlock} successor that now owns the slot;
 *   <li>{@link #close()} returns the slot to the reset pool.
 * </ul>
 *
 * Any other method called after either of these throws {@link IllegalStateException} naming the block id and the
 * state. A guard that is neither consumed nor closed is a leak: depending on the manager's leak detection level it is
 * eventually returned by a {@link java.lang.ref.Cleaner} and reported, but callers MUST NOT rely on that.
 *
 * <p>Instances are created by the library only; do not implement this interface.
 */
public interface MutableBlock extends AutoCloseable {

    /**
     * Returns the slot index of this block inside its manager, in {@code [0, totalBlocks)}.
     *
     * @return the block id; stable for the guard's lifetime and carried over to its successors
     */
    int blockId();

    /**
     * Returns the number of tokens this block holds (the manager's block size).
     *
     * @return the block size in tokens
     */
    int blockSize();

    /**
     * Assigns a sequence hash to the block and consumes this guard.
     *
     * <p>The hash is not validated against any data: the caller states that the slot now holds the KV entries of the
     * block identified by {@code sequenceHash}.
     *
     * @param sequenceHash the identity of the block's content and prefix
     * @param blockSize the number of tokens written; MUST equal {@link #blockSize()}
     * @return the {@link CompleteBlock} that owns the slot from now on
     * @throws BlockSizeMismatchException if {@code blockSize} differs; this guard is then NOT consumed
     * @throws IllegalStateException if this guard was already consumed or closed
     * @throws NullPointerException if {@code sequenceHash} is null
     */
    CompleteBlock stage(SequenceHash sequenceHash, int blockSize);

    /**
     * Stages the block with the hash of a complete {@link TokenBlock} and consumes this guard.
     *
     * @param tokenBlock the tokens whose KV entries the slot holds; its size MUST equal {@link #blockSize()}
     * @return the {@link CompleteBlock} that owns the slot from now on
     * @throws BlockSizeMismatchException if the token block's size differs; this guard is then NOT consumed
     * @throws IllegalStateException if this guard was already consumed or closed
     * @throws NullPointerException if {@code tokenBlock} is null
     */
    CompleteBlock complete(TokenBlock tokenBlock);

    /**
     * Returns the slot to the reset pool unless the guard was already consumed or closed.
     *
     * <p>Idempotent and non-blocking: a second call, or a call after {@code stage}, does nothing. A pending
     * allocation may be served by this release on the calling thread.
     */
    @Override
    void close();
}
