package io.kvbm.frequency;

import io.kvbm.tokens.SequenceHash;

/**
 * A probabilistic multiset that estimates how often each 64-bit key was seen recently, in 4 bits per counter.
 *
 * <p>This is Caffeine's TinyLFU sketch, keyed by 64-bit keys ({@link #spread(SequenceHash)} derives one from a
 * sequence hash). It is <strong>not thread-safe</strong>: one thread at a time may call {@link #increment(long)};
 * {@link #frequency(long)} may be called concurrently and then returns an estimate that is possibly stale: each counter
 * it reads holds a value that counter really had. {@link FrequencyTracker#tinyLfu(FrequencyTrackingCapacity)} wraps it for concurrent use.
 */
public final class FrequencySketch {

    /*
     * Algorithm
     * ---------
     * A count-min sketch [1]: each key is mapped to 4 counters by 4 hash functions; an increment adds one to each of
     * them (saturating at 15) and an estimate is the minimum of the 4. Collisions only ever inflate a counter, so
     * the estimate never undercounts (before aging) and is exact unless all 4 counters of a key are shared with
     * heavier keys.
     *
     * Layout (Caffeine's FrequencySketch [2]): the table is an array of longs, each holding 16 counters of 4 bits.
     * The longs are grouped in blocks of 8 (64 bytes, one cache line); a key first selects one block, then each of
     * its 4 counters lives in a different long of that block: long (2i + offset) for hash function i, with offset
     * and the counter's nibble taken from a second, independent 32 bits of the key's hash. So an increment or an
     * estimate touches exactly one cache line, where kvbm's sketch spreads a key over 4 random words.
     *
     * Aging (TinyLFU [3]): after sampleSize = 10 x capacity successful increments, every counter is halved. The
     * "size" that counts increments is halved too, corrected for the truncation of odd counters (each halving of an
     * odd counter loses 1/2, and 4 counters stand for one increment), and clamped at zero. Halving keeps the sketch a
     * picture of recent popularity: a key that stops being accessed fades within a few sample periods.
     *
     * Error bound: with w counters per hash function and N increments in the current sample, a count-min estimate
     * exceeds the true count by more than e*N/w with probability at most e^-d (d = 4 functions) [1]; here w is about
     * 4 x the table length in longs, and the 4-bit saturation caps every estimate at 15, which is all the eviction
     * policies need (they bucket frequencies into four levels between 0 and 15).
     *
     * Cost: the table holds ceilingPowerOfTwo(capacity) longs, 8 bytes per expected distinct key (2 MiB for
     * SMALL, 16 MiB for MEDIUM, 128 MiB for LARGE); increment and frequency are O(1), one cache line, no allocation;
     * a reset is O(table) and happens once per 10 x capacity increments.
     *
     * Table access is plain. A concurrent frequency() may in theory read a long torn into two 32-bit halves (JLS
     * 17.7; 64-bit HotSpot never tears an aligned long), but no 4-bit counter straddles the halves, so a torn read
     * only mixes stale and fresh counters, each a value that counter really held: an estimate, as any racy read is.
     * (Opaque VarHandle accesses, used before, cost twice as much per increment: 12.7 against 6.3 ns for a hot key
     * on the project machine, because C2 fences the compiler around each of them.) Writers are handed the table
     * through the tracker's writer flag, whose CAS and release store order their plain writes.
     *
     * [1] Cormode, Muthukrishnan: An improved data stream summary: the count-min sketch and its applications (2005).
     * [2] Ben Manes: Caffeine, com.github.benmanes.caffeine.cache.FrequencySketch.
     * [3] Einziger, Friedman, Manes: TinyLFU: A Highly Efficient Cache Admission Policy (2017).
     */

    static final long RESET_MASK = 0x7777_7777_7777_7777L;
    static final long ONE_MASK = 0x1111_1111_1111_1111L;
    /** The largest supported capacity: 2^30 expected keys (a table of 8 GiB would be absurd long before that). */
    public static final long MAX_CAPACITY = 1L << 30;

    private final long[] table;
    private final int blockMask;
    private final int sampleSize;
    private int size;

    /**
     * Creates a sketch sized for about {@code capacity} distinct keys.
     *
     * @param capacity the number of distinct keys to tell apart, in {@code [1, 2^30]}
     * @throws IllegalArgumentException if out of range
     */
    public FrequencySketch(long capacity) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be in [1, " + MAX_CAPACITY + "], got " + capacity);
        }
        int maximum = (int) capacity;
        this.table = new long[Math.max(ceilingPowerOfTwo(maximum), 8)];
        this.blockMask = (table.length >>> 3) - 1;
        this.sampleSize = (int) Math.min(10L * maximum, Integer.MAX_VALUE);
    }

    /**
     * Derives the sketch key of a sequence hash from all 128 of its bits.
     *
     * @param hash the hash
     * @return a well-mixed 64-bit key
     */
    public static long spread(SequenceHash hash) {
        return mix(hash.highBits() * 0x9E37_79B9_7F4A_7C15L ^ hash.lowBits());
    }

    /**
     * Returns the estimated number of occurrences of {@code key} in the current sample.
     *
     * @param key the key
     * @return the estimate, in {@code [0, 15]}
     */
    public int frequency(long key) {
        return frequencyOfMixed(mix(key));
    }

    /**
     * {@link #frequency(long)} of a key that is already a full 64-bit mix ({@link #spread(SequenceHash)}'s output):
     * skips the sketch's own mixing round. A key must always go through the same one of the two entry points.
     */
    int frequencyOfMixed(long h) {
        int block = ((int) h & blockMask) << 3;
        int counterHash = (int) (h >>> 32);
        int frequency = 15;
        for (int i = 0; i < 4; i++) {
            int hi = counterHash >>> (i << 3);
            int nibble = (hi >>> 1) & 15;
            long word = table[block + (hi & 1) + (i << 1)];
            frequency = Math.min(frequency, (int) ((word >>> (nibble << 2)) & 0xFL));
        }
        return frequency;
    }

    /**
     * Records one occurrence of {@code key}, aging the whole sketch when the sample is full.
     *
     * @param key the key
     * @return {@code true} if at least one counter grew (false when all four were saturated)
     */
    public boolean increment(long key) {
        return incrementMixed(mix(key));
    }

    /**
     * {@link #increment(long)} of a key that is already a full 64-bit mix ({@link #spread(SequenceHash)}'s output):
     * skips the sketch's own mixing round, which the tracker's keys do not need.
     */
    boolean incrementMixed(long h) {
        int block = ((int) h & blockMask) << 3;
        int counterHash = (int) (h >>> 32);
        boolean added = false;
        for (int i = 0; i < 4; i++) {
            int hi = counterHash >>> (i << 3);
            added |= incrementAt(block + (hi & 1) + (i << 1), (hi >>> 1) & 15);
        }
        if (added && ++size == sampleSize) {
            reset();
        }
        return added;
    }

    private boolean incrementAt(int index, int nibble) {
        int shift = nibble << 2;
        long mask = 0xFL << shift;
        long word = table[index];
        if ((word & mask) != mask) {
            table[index] = word + (1L << shift);
            return true;
        }
        return false;
    }

    /** Halves every counter and the sample size, correcting for the truncated odd counters. */
    void reset() {
        int odd = 0;
        for (int i = 0; i < table.length; i++) {
            long word = table[i];
            odd += Long.bitCount(word & ONE_MASK);
            table[i] = (word >>> 1) & RESET_MASK;
        }
        size = Math.max(0, size - (odd >>> 2)) >>> 1;
    }

    /**
     * Returns the number of counting increments since the last aging, corrected at each aging.
     *
     * @return the current sample size, in {@code [0, sampleSize())}
     */
    public int size() {
        return size;
    }

    /**
     * Returns how many increments trigger an aging: 10 × capacity.
     *
     * @return the sample size
     */
    public int sampleSize() {
        return sampleSize;
    }

    /**
     * Returns the number of longs in the table (16 counters each).
     *
     * @return the table length
     */
    public int tableLength() {
        return table.length;
    }

    // Stafford's variant 13 of the 64-bit finalizer of MurmurHash3: every input bit affects every output bit.
    private static long mix(long x) {
        x = (x ^ (x >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return x ^ (x >>> 31);
    }

    private static int ceilingPowerOfTwo(int x) {
        return x <= 1 ? 1 : Integer.highestOneBit(x - 1) << 1;
    }
}
