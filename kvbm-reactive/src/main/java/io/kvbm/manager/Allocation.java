package io.kvbm.manager;

import io.kvbm.block.MutableBlock;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.Objects;

/**
 * The result of {@link BlockManager#allocateWithEvictions(int)}: the allocated blocks and the hashes their allocation
 * evicted from the inactive pool.
 *
 * <p>The record holds guards, which the receiver owns and MUST close (or consume) one by one; the record itself is
 * only a carrier.
 *
 * @param blocks the allocated blocks: those taken from the reset pool first, then the evicted ones in eviction order
 * @param evicted the hashes of the cached blocks that were evicted, in eviction order; empty if none
 */
public record Allocation(List<MutableBlock> blocks, List<SequenceHash> evicted) {
    /**
     * Copies both lists.
     *
     * @param blocks the blocks
     * @param evicted the evicted hashes
     */
    public Allocation {
        blocks = List.copyOf(Objects.requireNonNull(blocks, "blocks"));
        evicted = List.copyOf(Objects.requireNonNull(evicted, "evicted"));
    }
}
