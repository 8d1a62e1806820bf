package io.kvbm.event;

/**
 * What a batch of cache events says about its hashes.
 *
 * <p>Every hash named by a {@link #STORED} batch stays held by the tier until a later {@link #REMOVED} or
 * {@link #CLEARED} batch names it; a consumer that applies a manager's batches in {@code seq} order therefore knows
 * exactly which hashes the tier holds.
 */
public enum EventKind {
    /**
     * The first block with each hash became registered in the tier ({@code register}/{@code registerAll} of a hash the
     * manager held no block for). Releasing the block into the inactive pool is not a removal: it is still held.
     */
    STORED,
    /**
     * The last block with each hash left the tier: evicted from the inactive pool by an allocation, or released with
     * evict-on-release (or after the manager closed). A duplicate leaving while its primary stays is not a removal.
     */
    REMOVED,
    /**
     * The hashes were dropped in bulk by {@code resetInactive()} or by closing the manager. A {@code CLEARED} batch with
     * <em>no</em> hashes starts a snapshot (see {@code BlockManager.eventsWithSnapshot()}): forget everything known
     * about this tier; the {@code STORED} batches that follow with the same {@code seq} restate its content.
     */
    CLEARED,
    /** The manager closed: the last batch of its stream, with no hashes. */
    SHUTDOWN;

    /**
     * Returns whether this kind removes its hashes from a consumer's view of the tier.
     *
     * @return {@code true} for {@link #REMOVED} and {@link #CLEARED}
     */
    public boolean removes() {
        return this == REMOVED || this == CLEARED;
    }
}
