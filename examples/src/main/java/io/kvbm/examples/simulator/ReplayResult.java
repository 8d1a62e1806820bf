package io.kvbm.examples.simulator;

import java.util.Objects;

/**
 * What one replay (one policy at one capacity) or one bound measured.
 *
 * @param name the policy name, or {@code "belady"} / {@code "infinite"} for the bounds
 * @param bound whether this is one of the simulator's bounds rather than a replay through a {@code BlockManager}
 * @param capacity the number of block slots, or {@link #UNBOUNDED}
 * @param requests requests replayed
 * @param requestedBlocks Σ prompt blocks looked up (the hit rate's denominator)
 * @param matchedBlocks Σ blocks found in the cache (prefix hits, stopping at the first miss)
 * @param blockOperations per-block steps run on the manager: each match hit, allocation, staging, registration and
 *     release counts one (0 for the bounds, which do not use a manager)
 * @param wallNanos wall time of this replay alone
 * @param concurrent the concurrent-mode figures, or null for a sequential replay or a bound
 */
public record ReplayResult(
        String name,
        boolean bound,
        int capacity,
        long requests,
        long requestedBlocks,
        long matchedBlocks,
        long blockOperations,
        long wallNanos,
        ConcurrentStats concurrent) {

    /** The capacity of the infinite-cache bound. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    /**
     * Validates.
     *
     * @param name not null
     * @param bound any
     * @param capacity positive
     * @param requests not negative
     * @param requestedBlocks not negative
     * @param matchedBlocks in [0, requestedBlocks]
     * @param blockOperations not negative
     * @param wallNanos not negative
     * @param concurrent may be null
     */
    public ReplayResult {
        Objects.requireNonNull(name, "name");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        if (matchedBlocks < 0 || matchedBlocks > requestedBlocks) {
            throw new IllegalArgumentException(
                    "matchedBlocks must be in [0, requestedBlocks=" + requestedBlocks + "], got " + matchedBlocks);
        }
    }

    static ReplayResult bound(
            String name, int capacity, long requests, long requestedBlocks, long matchedBlocks, long wallNanos) {
        return new ReplayResult(name, true, capacity, requests, requestedBlocks, matchedBlocks, 0, wallNanos, null);
    }

    /**
     * Returns Σ matched blocks / Σ requested blocks.
     *
     * @return the hit rate in [0, 1] (0 for an empty trace)
     */
    public double hitRate() {
        return requestedBlocks == 0 ? 0 : (double) matchedBlocks / requestedBlocks;
    }

    /**
     * Returns the replay's throughput.
     *
     * @return requests per second of wall time
     */
    public double requestsPerSecond() {
        return wallNanos == 0 ? 0 : requests * 1e9 / wallNanos;
    }

    /**
     * Returns the replay's block throughput.
     *
     * @return block operations per second of wall time
     */
    public double blockOperationsPerSecond() {
        return wallNanos == 0 ? 0 : blockOperations * 1e9 / wallNanos;
    }

    /**
     * Returns a copy at another capacity: the infinite bound, computed once, is shown at every capacity of a sweep.
     *
     * @param newCapacity the capacity to show
     * @return a copy
     */
    ReplayResult atCapacity(int newCapacity) {
        return new ReplayResult(
                name,
                bound,
                newCapacity,
                requests,
                requestedBlocks,
                matchedBlocks,
                blockOperations,
                wallNanos,
                concurrent);
    }
}
