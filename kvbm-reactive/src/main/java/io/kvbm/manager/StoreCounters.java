package io.kvbm.manager;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The manager's counters and pool sizes: written by the drain loop, read by any thread.
 *
 * <p>One writer at a time (the drain loop owner; ownership hand-offs go through the loop's atomic work counter, so
 * each owner sees its predecessor's writes) means increments need no atomic read-modify-write. Writes and foreign
 * reads are <em>opaque</em>: no fence on the hot path, yet a reader never sees a torn or out-of-thin-air value and
 * eventually sees every write. {@link #AVAILABLE} is maintained as its own value so that readers never compute an
 * impossible reset + inactive sum from two reads taken at different instants.
 */
final class StoreCounters {

    // The counters every allocation and release writes come first, adjacent, so that they share one or two cache
    // lines: when the drain loop changes hands between cores, fewer lines move (there were three).
    static final int ALLOCATIONS = 0;
    static final int ALLOCATIONS_FROM_RESET = 1;
    static final int INFLIGHT_MUTABLE = 2;
    static final int RESET_POOL = 3;
    static final int INACTIVE_POOL = 4;
    static final int AVAILABLE = 5;
    static final int EVICTIONS = 6;
    static final int REGISTRATIONS = 7;
    static final int DUPLICATE_BLOCKS = 8;
    static final int REGISTRATION_DEDUP = 9;
    static final int STAGINGS = 10;
    static final int MATCH_HASHES_REQUESTED = 11;
    static final int MATCH_BLOCKS_RETURNED = 12;
    static final int SCAN_HASHES_REQUESTED = 13;
    static final int SCAN_BLOCKS_RETURNED = 14;
    static final int LEAKED_BLOCKS = 15;
    static final int PENDING = 16;
    static final int ALLOCATE_ROLLBACKS = 17;
    static final int EVENT_SUBSCRIBERS_DROPPED = 18;
    private static final int COUNT = 19;

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values = new long[COUNT];

    /** Adds {@code delta}; drain loop only. */
    void add(int counter, long delta) {
        VALUES.setOpaque(values, counter, values[counter] + delta);
    }

    /** Sets a value; drain loop only. */
    void set(int counter, long value) {
        VALUES.setOpaque(values, counter, value);
    }

    /** Reads a value from any thread. */
    long get(int counter) {
        return (long) VALUES.getOpaque(values, counter);
    }
}
