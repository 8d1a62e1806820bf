package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;

/**
 * Evicts the block that was released longest ago.
 *
 * <p>A doubly linked list threaded through arrays indexed by block id ({@link BlockLists}), in release order, plus a
 * hash table from hash to block id. Every operation is O(1) and allocation-free. A lookup hit removes the block (it
 * becomes active); its next release appends it at the most-recent end, which is what makes this
 * least-recently-<em>used</em>: a block's last use ends when its last holder releases it. This is the behaviour of
 * kvbm's LRU and hash-map backends.
 */
final class LruInactiveIndex implements InactiveIndex {

    private static final int LIST = 0;

    private final BlockIdTable table;
    private final SequenceHash[] hashes;
    private final BlockLists released; // release order: the head was released longest ago, the next victim

    LruInactiveIndex(int blockCount) {
        this.table = new BlockIdTable(blockCount);
        this.hashes = new SequenceHash[blockCount];
        this.released = new BlockLists(1, blockCount);
    }

    @Override
    public void insert(SequenceHash hash, int blockId) {
        IndexChecks.checkInsert(hashes, blockId);
        table.put(hash, blockId);
        hashes[blockId] = hash;
        released.append(LIST, blockId);
    }

    @Override
    public int remove(SequenceHash hash) {
        int id = table.remove(hash);
        if (id != NO_BLOCK) {
            unlink(id);
        }
        return id;
    }

    @Override
    public boolean has(SequenceHash hash) {
        return table.get(hash) != NO_BLOCK;
    }

    @Override
    public boolean take(SequenceHash hash, int blockId) {
        if (!IndexChecks.holds(hashes, hash, blockId)) {
            return false;
        }
        table.remove(hash);
        unlink(blockId);
        return true;
    }

    @Override
    public int evict() {
        int id = released.head(LIST);
        if (id == BlockLists.NIL) {
            return NO_BLOCK;
        }
        table.remove(hashes[id]);
        unlink(id);
        return id;
    }

    @Override
    public int size() {
        return table.size();
    }

    private void unlink(int id) {
        released.unlink(id);
        hashes[id] = null;
    }

    @Override
    public String toString() {
        return "LruInactiveIndex[size=" + size() + "]";
    }
}
