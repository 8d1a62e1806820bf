package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;
import java.util.Arrays;

/**
 * Evicts the block that entered the cache first; cache hits do not refresh a block's place.
 *
 * <p>Each block gets a ticket from a monotonic counter the first time its {@code (hash, blockId)} pair is inserted.
 * A lookup hit removes the block but remembers its ticket, so when the same pair is released again it returns to its
 * original place instead of the most-recent end (contrast {@link LruInactiveIndex}). The memory is per block id and
 * is dropped when the block is evicted, taken or {@linkplain #forget forgotten} (released to the reset pool), or when
 * the slot comes back with another hash. Victims are the smallest tickets, kept in a binary min-heap indexed by block
 * id: O(log n) insert, remove and evict, no allocation.
 * Tickets come from a counter, never a clock, so two releases in the same instant keep their order (kvbm once keyed
 * its FIFO policy by milliseconds, and colliding keys overwrote each other).
 */
final class FifoInactiveIndex implements InactiveIndex {

    private final BlockIdTable table;
    private final SequenceHash[] hashes; // non-null while the block is in the index
    private final SequenceHash[] rememberedHash; // the pair whose ticket a re-insert may reuse
    private final long[] tickets;
    private final int[] heap; // block ids ordered by ticket
    private final int[] heapIndex; // block id -> position in heap, -1 if absent
    private int size;
    private long nextTicket;

    FifoInactiveIndex(int blockCount) {
        this.table = new BlockIdTable(blockCount);
        this.hashes = new SequenceHash[blockCount];
        this.rememberedHash = new SequenceHash[blockCount];
        this.tickets = new long[blockCount];
        this.heap = new int[blockCount];
        this.heapIndex = new int[blockCount];
        Arrays.fill(heapIndex, -1);
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
        if (!hash.equals(rememberedHash[blockId])) {
            tickets[blockId] = nextTicket++;
            rememberedHash[blockId] = hash;
        }
        heap[size] = blockId;
        heapIndex[blockId] = size;
        siftUp(size++);
    }

    @Override
    public int remove(SequenceHash hash) {
        int id = table.remove(hash);
        if (id != NO_BLOCK) {
            hashes[id] = null;
            removeFromHeap(id); // keep rememberedHash: a hit must not refresh the block's place
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
        discard(blockId);
        return true;
    }

    @Override
    public void forget(int blockId) {
        // A block still in the index keeps its ticket; one that left for the reset pool must not reclaim it.
        if (blockId >= 0 && blockId < hashes.length && hashes[blockId] == null) {
            rememberedHash[blockId] = null;
        }
    }

    @Override
    public int evict() {
        if (size == 0) {
            return NO_BLOCK;
        }
        int id = heap[0];
        table.remove(hashes[id]);
        discard(id);
        return id;
    }

    @Override
    public int size() {
        return size;
    }

    private void discard(int id) {
        hashes[id] = null;
        rememberedHash[id] = null;
        removeFromHeap(id);
    }

    private void removeFromHeap(int id) {
        int i = heapIndex[id];
        heapIndex[id] = -1;
        int last = heap[--size];
        if (i == size) {
            return;
        }
        heap[i] = last;
        heapIndex[last] = i;
        siftDown(i);
        siftUp(heapIndex[last]);
    }

    private void siftUp(int i) {
        int id = heap[i];
        long t = tickets[id];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            int p = heap[parent];
            if (tickets[p] <= t) {
                break;
            }
            heap[i] = p;
            heapIndex[p] = i;
            i = parent;
        }
        heap[i] = id;
        heapIndex[id] = i;
    }

    private void siftDown(int i) {
        int id = heap[i];
        long t = tickets[id];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int c = heap[child];
            int right = child + 1;
            if (right < size && tickets[heap[right]] < tickets[c]) {
                child = right;
                c = heap[child];
            }
            if (t <= tickets[c]) {
                break;
            }
            heap[i] = c;
            heapIndex[c] = i;
            i = child;
        }
        heap[i] = id;
        heapIndex[id] = i;
    }

    @Override
    public String toString() {
        return "FifoInactiveIndex[size=" + size + "]";
    }
}
