package io.kvbm.examples.simulator;

import java.util.List;
import java.util.Objects;

/**
 * A named, ordered list of requests: what every replay engine and bound consumes.
 *
 * @param name where the requests came from (a file name, or the built-in workload's description)
 * @param records the requests in file order (sequential mode replays them in this order)
 */
public record Trace(String name, List<TraceRecord> records) {

    /**
     * Validates and copies.
     *
     * @param name not null
     * @param records not null, no null element
     */
    public Trace {
        Objects.requireNonNull(name, "name");
        records = List.copyOf(records);
    }

    /**
     * Returns the number of requests.
     *
     * @return the request count
     */
    public int size() {
        return records.size();
    }

    /**
     * Returns the total number of prompt blocks over all requests (the denominator of the hit rate).
     *
     * @return Σ blocks
     */
    public long totalBlocks() {
        long total = 0;
        for (TraceRecord r : records) {
            total += r.blocks();
        }
        return total;
    }

    /**
     * Returns the number of blocks of the longest prompt: a cache must hold at least this many to serve it.
     *
     * @return the longest request in blocks, 0 for an empty trace
     */
    public int longestRequest() {
        int longest = 0;
        for (TraceRecord r : records) {
            longest = Math.max(longest, r.blocks());
        }
        return longest;
    }
}
