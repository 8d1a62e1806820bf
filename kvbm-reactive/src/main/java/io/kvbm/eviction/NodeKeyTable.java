package io.kvbm.eviction;

import java.util.Arrays;

/**
 * An open-addressing map from a {@code long} structural key to an {@code int} node index, for
 * {@link LineageInactiveIndex}.
 *
 * <p>Linear probing with backward-shift deletion (no tombstones), like {@link BlockIdTable}, so probe runs stay short
 * however long the manager runs. A key may be any {@code long}, zero included, so an empty slot is marked by its value
 * ({@link #ABSENT}), never by its key. The table is sized for an expected number of entries at a load factor of at
 * most 1/2 and doubles only when that number is exceeded: the lineage index sizes it with its node slab, which grows
 * only when ghost nodes need more room than planned. Nothing is allocated otherwise.
 */
final class NodeKeyTable {

    /** The value returned for a missing key; also marks an empty slot. */
    static final int ABSENT = -1;

    /** The largest number of slots: a power of two that still fits in an array. */
    private static final int MAX_SLOTS = 1 << 30;

    private long[] keys;
    private int[] values;
    private int mask;
    private int maxEntries;
    private int size;

    NodeKeyTable(int expectedEntries) {
        if (expectedEntries < 1) {
            throw new IllegalArgumentException("expectedEntries must be positive, got " + expectedEntries);
        }
        allocate(slotsFor(expectedEntries));
    }

    int size() {
        return size;
    }

    int get(long key) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            int v = values[i];
            if (v == ABSENT) {
                return ABSENT;
            }
            if (keys[i] == key) {
                return v;
            }
        }
    }

    /** Adds a key that is not present, mapped to a non-negative value. */
    void put(long key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("value must not be negative, got " + value);
        }
        if (size == maxEntries) {
            rehash(values.length * 2);
        }
        for (int i = slot(key); ; i = (i + 1) & mask) {
            int v = values[i];
            if (v == ABSENT) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (keys[i] == key) {
                throw new IllegalStateException(
                        "key 0x" + Long.toHexString(key) + " is already mapped to node " + v + ", not " + value);
            }
        }
    }

    /**
     * Removes {@code key} if it maps to {@code value}.
     *
     * @return whether the mapping was present and removed
     */
    boolean remove(long key, int value) {
        for (int i = slot(key); ; i = (i + 1) & mask) {
            int v = values[i];
            if (v == ABSENT) {
                return false;
            }
            if (keys[i] == key) {
                if (v != value) {
                    return false;
                }
                deleteAt(i);
                return true;
            }
        }
    }

    /** Makes room for {@code expectedEntries} without further rehashing. */
    void ensureCapacity(int expectedEntries) {
        int slots = slotsFor(expectedEntries);
        if (slots > values.length) {
            rehash(slots);
        }
    }

    private void deleteAt(int hole) {
        size--;
        // Backward-shift: move later members of the probe run into the hole so no lookup stops early.
        int i = hole;
        for (; ; ) {
            i = (i + 1) & mask;
            if (values[i] == ABSENT) {
                break;
            }
            int home = slot(keys[i]);
            boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        values[hole] = ABSENT;
    }

    private void rehash(int slots) {
        if (slots > MAX_SLOTS || slots <= 0) {
            throw new IllegalStateException("node key table cannot grow beyond " + (MAX_SLOTS / 2) + " entries");
        }
        long[] oldKeys = keys;
        int[] oldValues = values;
        allocate(slots);
        for (int i = 0; i < oldValues.length; i++) {
            if (oldValues[i] != ABSENT) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    private void allocate(int slots) {
        keys = new long[slots];
        values = new int[slots];
        Arrays.fill(values, ABSENT);
        mask = slots - 1;
        maxEntries = slots / 2;
        size = 0;
    }

    private static int slotsFor(int expectedEntries) {
        long slots = Long.highestOneBit(Math.max(2L, expectedEntries) * 2 - 1) * 2;
        if (slots > MAX_SLOTS) {
            throw new IllegalArgumentException(
                    "node key table cannot hold " + expectedEntries + " entries (max " + (MAX_SLOTS / 2) + ")");
        }
        return (int) slots;
    }

    private int slot(long key) {
        // Keys put the position in their high bits and hash bits below; murmur3's fmix64 spreads both over the low bits
        // the mask keeps, so neighbouring positions of one chain do not crowd one probe run.
        long x = (key ^ (key >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return (int) (x ^ (x >>> 33)) & mask;
    }
}
