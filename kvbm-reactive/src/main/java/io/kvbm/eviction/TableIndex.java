package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;

/**
 * The part the LRU, multi-level LRU and FIFO indices share: a {@link BlockIdTable} from hash to block id, the hash of
 * every present block by id, and the {@link InactiveIndex} operations on them. A subclass keeps only its eviction
 * order: it is told when a block enters ({@link #enqueue}) and leaves ({@link #dequeue}) and names the next
 * {@link #victim}. Every operation is the table's O(1) plus the order's cost, and nothing is allocated.
 *
 * <p>{@link LineageInactiveIndex} does not fit: it finds blocks through a prefix forest, not a hash table.
 */
abstract class TableIndex implements InactiveIndex {

    private final BlockIdTable table;

    /** The hash of each block in the index, by block id; null where the block is absent. Read-only for subclasses. */
    final SequenceHash[] hashes;

    TableIndex(int blockCount) {
        this.table = new BlockIdTable(blockCount);
        this.hashes = new SequenceHash[blockCount];
    }

    /** {@code blockId}, now in the index under {@code hash}, takes its place in the eviction order. */
    abstract void enqueue(int blockId, SequenceHash hash);

    /**
     * {@code blockId} has left the index and must leave the eviction order.
     *
     * @param hit {@code true} if a lookup took it ({@link #remove}), so it may come back as the same cache entry;
     *     {@code false} if it was evicted or taken
     */
    abstract void dequeue(int blockId, boolean hit);

    /** Returns the next victim without removing it, or {@link #NO_BLOCK} if the index is empty. */
    abstract int victim();

    @Override
    public final void insert(SequenceHash hash, int blockId) {
        IndexChecks.checkBlockId(blockId, hashes.length);
        if (hashes[blockId] != null) {
            throw IndexChecks.alreadyPresent(blockId);
        }
        table.put(hash, blockId);
        hashes[blockId] = hash;
        enqueue(blockId, hash);
    }

    @Override
    public final int remove(SequenceHash hash) {
        int id = table.remove(hash);
        if (id != NO_BLOCK) {
            hashes[id] = null;
            dequeue(id, true);
        }
        return id;
    }

    @Override
    public final boolean has(SequenceHash hash) {
        return table.get(hash) != NO_BLOCK;
    }

    @Override
    public final boolean take(SequenceHash hash, int blockId) {
        if (blockId < 0 || blockId >= hashes.length || !hash.equals(hashes[blockId])) {
            return false; // out of range, absent, or cached under another hash
        }
        table.remove(hash);
        hashes[blockId] = null;
        dequeue(blockId, false);
        return true;
    }

    @Override
    public final int evict() {
        int id = victim();
        if (id == NO_BLOCK) {
            return NO_BLOCK;
        }
        table.remove(hashes[id]);
        hashes[id] = null;
        dequeue(id, false);
        return id;
    }

    @Override
    public final int size() {
        return table.size();
    }
}
