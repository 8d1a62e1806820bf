package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;
import java.util.Arrays;

/**
 * An open-addressing map from {@link SequenceHash} to block id, sized once for the manager's block count.
 *
 * <p>Linear probing with backward-shift deletion (no tombstones), so lookups stay short however long the manager
 * runs, and nothing is allocated after construction: the indices call it on every release and every lookup. The table
 * holds at most {@code capacity} entries at a load factor of at most 1/2.
 */
final class BlockIdTable {

    private final SequenceHash[] keys;
    private final int[] values;
    private final int mask;
    private final int capacity;
    private int size;

    BlockIdTable(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        int slots = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2;
        this.keys = new SequenceHash[slots];
        this.values = new int[slots];
        this.mask = slots - 1;
        this.capacity = capacity;
    }

    int size() {
        return size;
    }

    int get(SequenceHash key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            SequenceHash k = keys[i];
            if (k == null) {
                return InactiveIndex.NO_BLOCK;
            }
            if (k.equals(key)) {
                return values[i];
            }
        }
    }

    /** Adds a key that is not present. */
    void put(SequenceHash key, int value) {
        if (size == capacity) {
            throw new IllegalStateException("index is full: " + capacity + " blocks");
        }
        for (int i = slot(key); ; i = (i + 1) & mask) {
            SequenceHash k = keys[i];
            if (k == null) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (k.equals(key)) {
                throw new IllegalStateException(
                        "hash " + key + " is already in the inactive index (block " + values[i] + ")");
            }
        }
    }

    int remove(SequenceHash key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            SequenceHash k = keys[i];
            if (k == null) {
                return InactiveIndex.NO_BLOCK;
            }
            if (k.equals(key)) {
                int value = values[i];
                deleteAt(i);
                return value;
            }
        }
    }

    void clear() {
        Arrays.fill(keys, null);
        size = 0;
    }

    private void deleteAt(int hole) {
        size--;
        // Backward-shift: move later members of the probe run into the hole so no lookup stops early.
        int i = hole;
        for (; ; ) {
            i = (i + 1) & mask;
            SequenceHash k = keys[i];
            if (k == null) {
                break;
            }
            int home = slot(k);
            boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                keys[hole] = k;
                values[hole] = values[i];
                hole = i;
            }
        }
        keys[hole] = null;
    }

    private int slot(SequenceHash key) {
        // The hash code already folds 128 well-mixed bits; the multiply spreads it over the high bits we keep.
        return (int) ((key.hashCode() * 0x9E3779B97F4A7C15L) >>> 32) & mask;
    }
}
