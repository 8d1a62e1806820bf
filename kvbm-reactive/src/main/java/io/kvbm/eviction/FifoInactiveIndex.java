package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;

/**
 * Evicts the block that entered the cache first; cache hits do not refresh a block's place.
 *
 * <p>Each block gets a ticket from a monotonic counter the first time its {@code (hash, blockId)} pair is inserted.
 * A lookup hit removes the block but remembers its ticket, so when the same pair is released again it returns to its
 * original place instead of the most-recent end (contrast {@link LruInactiveIndex}). The memory is per block id and
 * is dropped when the block is evicted, taken or {@linkplain #forget forgotten} (released to the reset pool), or when
 * the slot comes back with another hash. Victims are the smallest tickets, kept in a {@link TicketHeap} of block ids
 * (an indexed binary min-heap): O(log n) insert, remove and evict, no allocation.
 * Tickets come from a counter, never a clock, so two releases in the same instant keep their order (kvbm once keyed
 * its FIFO policy by milliseconds, and colliding keys overwrote each other).
 */
final class FifoInactiveIndex extends TableIndex {

    private final SequenceHash[] rememberedHash; // the pair whose ticket a re-insert may reuse
    private final TicketHeap heap; // block ids by ticket; a block's ticket outlives its stay in the heap
    private long nextTicket;

    FifoInactiveIndex(int blockCount) {
        super(blockCount);
        this.rememberedHash = new SequenceHash[blockCount];
        this.heap = new TicketHeap(blockCount, blockCount);
    }

    @Override
    void enqueue(int blockId, SequenceHash hash) {
        if (!hash.equals(rememberedHash[blockId])) {
            heap.setTicket(blockId, nextTicket++);
            rememberedHash[blockId] = hash;
        }
        heap.add(blockId); // at its remembered ticket if the pair came back after a hit
    }

    @Override
    void dequeue(int blockId, boolean hit) {
        heap.remove(blockId);
        if (!hit) {
            rememberedHash[blockId] = null; // a hit keeps it: it must not refresh the block's place
        }
    }

    @Override
    int victim() {
        int id = heap.peek();
        return id == TicketHeap.NONE ? NO_BLOCK : id;
    }

    @Override
    public void forget(int blockId) {
        // A block still in the index keeps its ticket; one that left for the reset pool must not reclaim it.
        if (blockId >= 0 && blockId < hashes.length && hashes[blockId] == null) {
            rememberedHash[blockId] = null;
        }
    }

    @Override
    public String toString() {
        return "FifoInactiveIndex[size=" + size() + "]";
    }
}
