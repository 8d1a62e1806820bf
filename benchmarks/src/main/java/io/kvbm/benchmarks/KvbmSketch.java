package io.kvbm.benchmarks;

import net.openhft.hashing.LongHashFunction;

/**
 * A port of kvbm's TinyLFU sketch ({@code lib/kvbm-logical/src/tinylfu.rs}), the baseline of
 * {@link FrequencySketchBenchmark}; not used by the library.
 *
 * <p>Layout as in kvbm: one table of {@code max(1, capacity / 4)} longs of 16 four-bit counters; a 128-bit key is
 * hashed by 4 independent XXH3-64 functions over its 16 little-endian bytes, and hash {@code h} selects word
 * {@code h mod length} and nibble {@code h & 15}. So a key's 4 counters sit in 4 unrelated words (up to 4 cache
 * misses) and cost 4 hashes, where our sketch spends one mix and one cache line. kvbm's functions are XXH3 with 4
 * custom secrets; XXH3 with seeds 0..3 stands in here (same cost, not bit-compatible, which is not required). Plain
 * increments (not conservative), saturating at 15; aging after 10 × capacity counting increments, halving every
 * counter with kvbm's odd-counter correction. kvbm keeps it behind a mutex; the port leaves that out, so the
 * comparison is of layouts and hashing only.
 */
final class KvbmSketch {

    private static final long RESET_MASK = 0x7777_7777_7777_7777L;
    private static final long ONE_MASK = 0x1111_1111_1111_1111L;

    private final long[] table;
    private final LongHashFunction[] hashes = {
        LongHashFunction.xx3(0), LongHashFunction.xx3(1), LongHashFunction.xx3(2), LongHashFunction.xx3(3)
    };
    private final long[] keyBytes = new long[2];
    private final long sampleSize;
    private long size;

    KvbmSketch(long capacity) {
        table = new long[(int) Math.max(1, capacity / 4)];
        sampleSize = 10 * capacity;
    }

    /** kvbm {@code increment}: +1 on each of the 4 counters below 15. */
    boolean increment(long high, long low) {
        keyBytes[0] = low; // little-endian u128: low word first
        keyBytes[1] = high;
        boolean added = false;
        for (LongHashFunction f : hashes) {
            long h = f.hashLongs(keyBytes);
            int index = (int) Long.remainderUnsigned(h, table.length);
            int shift = ((int) h & 15) << 2;
            long word = table[index];
            if (((word >>> shift) & 0xFL) < 15) {
                table[index] = word + (1L << shift);
                added = true;
            }
        }
        if (added && ++size >= sampleSize) {
            reset();
        }
        return added;
    }

    /** kvbm {@code estimate}: the minimum of the 4 counters. */
    int frequency(long high, long low) {
        keyBytes[0] = low;
        keyBytes[1] = high;
        int min = 15;
        for (LongHashFunction f : hashes) {
            long h = f.hashLongs(keyBytes);
            int index = (int) Long.remainderUnsigned(h, table.length);
            min = Math.min(min, (int) ((table[index] >>> (((int) h & 15) << 2)) & 0xFL));
        }
        return min;
    }

    private void reset() {
        long odd = 0;
        for (int i = 0; i < table.length; i++) {
            odd += Long.bitCount(table[i] & ONE_MASK);
            table[i] = (table[i] >>> 1) & RESET_MASK;
        }
        size = Math.max(0, (size >>> 1) - (odd >>> 2));
    }
}
