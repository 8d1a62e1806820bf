package io.kvbm.block;

import io.kvbm.tokens.SequenceHash;

/**
 * A handle to a registered block: immutable, shareable and deduplicated by {@link SequenceHash}.
 *
 * <p>Several handles may refer to one registration: {@link #retain()} creates another, and lookups such as
 * {@link io.kvbm.manager.BlockManager#match(java.util.List)} return new handles to blocks that are already held.
 * <strong>Each handle MUST be closed exactly once</strong>; closing a handle twice is a no-op. While at least one handle
 * is open, the block stays active and is never evicted.
 *
 * <p>What {@link #close()} of the <em>last</em> handle does:
 *
 * <table>
 *   <caption>release of the last handle</caption>
 *   <tr><th>block</th><th>evict-on-release</th><th>goes to</th></tr>
 *   <tr><td>primary</td><td>false (default)</td><td>inactive pool: cached, found again by lookups, evictable</td></tr>
 *   <tr><td>primary</td><td>true</td><td>reset pool: not cached</td></tr>
 *   <tr><td>duplicate (ALLOW policy)</td><td>ignored</td><td>reset pool; then releases its hold on the primary</td></tr>
 * </table>
 *
 * <p>Handles are thread-safe: any thread may close, retain or downgrade its own handle concurrently with others.
 * Instances are created by the library only; do not implement this interface.
 */
public interface ImmutableBlock extends AutoCloseable {

    /**
     * Returns the slot index of the registered block.
     *
     * @return the block id
     */
    int blockId();

    /**
     * Returns the hash the block is registered under.
     *
     * @return the sequence hash
     */
    SequenceHash sequenceHash();

    /**
     * Returns the tier of the manager that owns the block.
     *
     * @return the storage tier
     */
    StorageTier tier();

    /**
     * Returns the process-unique id of the manager that owns the block; with {@link #blockId()} it addresses one
     * physical slot across managers.
     *
     * @return the manager id, never 0
     */
    long managerId();

    /**
     * Returns another handle to the same registration.
     *
     * @return a new handle that the caller MUST close
     * @throws IllegalStateException if this handle is closed
     */
    ImmutableBlock retain();

    /**
     * Returns a weak reference that does not keep the block from being released or evicted.
     *
     * @return a new weak block; it needs no closing
     * @throws IllegalStateException if this handle is closed
     */
    WeakBlock downgrade();

    /**
     * Returns how many holders keep the registration alive: open handles plus duplicates that pin this primary.
     *
     * <p>A best-effort snapshot: other threads may change it at any time.
     *
     * @return the current holder count; 0 once the last holder released it
     */
    int useCount();

    /**
     * Sets whether the block skips the inactive cache when its last handle is closed.
     *
     * <p>The flag belongs to the slot and is shared by every handle of the registration; the last write wins. It
     * survives the block's trips through the inactive pool and returns to the manager's default when the slot is
     * allocated again. Duplicates always go to the reset pool, whatever the flag says.
     *
     * @param evict {@code true} to send the block to the reset pool instead of the inactive pool on release
     * @throws IllegalStateException if this handle is closed
     */
    void evictOnRelease(boolean evict);

    /**
     * Releases this handle; the last release moves the block as the class documentation describes.
     *
     * <p>Idempotent and non-blocking: a second call does nothing. A pending allocation may be served by this release
     * on the calling thread.
     */
    @Override
    void close();
}
