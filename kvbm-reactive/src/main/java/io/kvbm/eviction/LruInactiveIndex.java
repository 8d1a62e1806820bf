package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;

/**
 * Evicts the block that was released longest ago.
 *
 * <p>A doubly linked list threaded through arrays indexed by block id ({@link BlockLists}), in release order, plus a
 * hash table from hash to block id ({@link TableIndex}). Every operation is O(1) and allocation-free. A lookup hit
 * removes the block (it becomes active); its next release appends it at the most-recent end, which is what makes this
 * least-recently-<em>used</em>: a block's last use ends when its last holder releases it. This is the behaviour of
 * kvbm's LRU and hash-map backends.
 */
final class LruInactiveIndex extends TableIndex {

    private static final int LIST = 0;

    private final BlockLists released; // release order: the head was released longest ago, the next victim

    LruInactiveIndex(int blockCount) {
        super(blockCount);
        this.released = new BlockLists(1, blockCount);
    }

    @Override
    void enqueue(int blockId, SequenceHash hash) {
        released.append(LIST, blockId);
    }

    @Override
    void dequeue(int blockId, boolean hit) {
        released.unlink(blockId);
    }

    @Override
    int victim() {
        int id = released.head(LIST);
        return id == BlockLists.NIL ? NO_BLOCK : id;
    }

    @Override
    public String toString() {
        return "LruInactiveIndex[size=" + size() + "]";
    }
}
