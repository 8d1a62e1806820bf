package io.kvbm.block;

import io.kvbm.tokens.SequenceHash;
import reactor.core.publisher.Mono;

/**
 * A non-owning reference to a registered block that does not keep it from being released or evicted.
 *
 * <p>A weak block holds nothing: it needs no closing and may be dropped at any time. {@link #upgrade()} turns it back
 * into an {@link ImmutableBlock} while the block is still active or cached in the inactive pool.
 *
 * <p>Thread-safe. Instances are created by {@link ImmutableBlock#downgrade()} only; do not implement this interface.
 */
public interface WeakBlock {

    /**
     * Returns the hash of the block this reference was taken from.
     *
     * @return the sequence hash
     */
    SequenceHash sequenceHash();

    /**
     * Returns the slot index of the block at the time it was downgraded.
     *
     * @return the block id; a later {@link #upgrade()} may return a different block with the same hash
     */
    int blockId();

    /**
     * Tries to obtain a handle to the block again.
     *
     * <p>Subscribing performs one lookup in the owning manager's drain loop: if the same registration is still held,
     * a new handle to it is emitted; otherwise the primary block currently registered under the hash in this manager
     * (active, or resurrected from the inactive pool) is emitted. Each subscription is one independent lookup.
     *
     * <p>Emits the handle, which the subscriber owns and MUST close, then completes; completes empty if the hash was
     * evicted. Fails with {@link io.kvbm.manager.ManagerClosedException} if the manager is closed. A handle that is
     * ready when the subscriber cancels is closed by the library. The lookup does not count as an access for the
     * frequency tracker. Signals are delivered on the thread that runs the manager's drain loop at that moment.
     *
     * @return a lazy {@link Mono} of a new handle, or empty
     */
    Mono<ImmutableBlock> upgrade();
}
