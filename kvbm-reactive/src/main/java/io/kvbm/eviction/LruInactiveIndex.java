package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;
import java.util.Arrays;

/**
 * Evicts the block that was released longest ago.
 *
 * <p>A doubly linked list threaded through arrays indexed by block id, in release order, plus a hash table from hash
 * to block id. Every operation is O(1) and allocation-free. A lookup hit removes the block (it becomes active); its
 * next release appends it at the most-recent end, which is what makes this least-recently-<em>used</em>: a block's
 * last use ends when its last holder releases it. This is the behaviour of kvbm's LRU and hash-map backends.
 */
final class LruInactiveIndex implements InactiveIndex {

    private static final int NIL = -1;

    private final BlockIdTable table;
    private final SequenceHash[] hashes;
    private final int[] prev;
    private final int[] next;
    private int head = NIL; // least recently released: the next victim
    private int tail = NIL;

    LruInactiveIndex(int blockCount) {
        this.table = new BlockIdTable(blockCount);
        this.hashes = new SequenceHash[blockCount];
        this.prev = new int[blockCount];
        this.next = new int[blockCount];
        Arrays.fill(prev, NIL);
        Arrays.fill(next, NIL);
    }

    @Override
    public void insert(SequenceHash hash, int blockId) {
        if (blockId < 0 || blockId >= hashes.length) {
            throw new IllegalArgumentException("blockId must be in [0, " + hashes.length + "), got " + blockId);
        }
        if (hashes[blockId] != null) {
            throw new IllegalStateException("block " + blockId + " is already in the inactive index");
        }
        table.put(hash, blockId);
        hashes[blockId] = hash;
        prev[blockId] = tail;
        next[blockId] = NIL;
        if (tail == NIL) {
            head = blockId;
        } else {
            next[tail] = blockId;
        }
        tail = blockId;
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
        if (blockId < 0 || blockId >= hashes.length || !hash.equals(hashes[blockId])) {
            return false;
        }
        table.remove(hash);
        unlink(blockId);
        return true;
    }

    @Override
    public int evict() {
        int id = head;
        if (id == NIL) {
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
        int p = prev[id];
        int n = next[id];
        if (p == NIL) {
            head = n;
        } else {
            next[p] = n;
        }
        if (n == NIL) {
            tail = p;
        } else {
            prev[n] = p;
        }
        prev[id] = NIL;
        next[id] = NIL;
        hashes[id] = null;
    }

    @Override
    public String toString() {
        return "LruInactiveIndex[size=" + size() + "]";
    }
}
