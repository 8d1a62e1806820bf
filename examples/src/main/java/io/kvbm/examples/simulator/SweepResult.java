package io.kvbm.examples.simulator;

import java.util.List;
import java.util.Optional;

/**
 * Everything one sweep measured, in report order: each policy at each capacity, then the Belady bound at each capacity
 * and the infinite-cache bound (repeated at each capacity, where it is the same number).
 *
 * @param traceName where the requests came from
 * @param requests requests in the trace
 * @param totalBlocks Σ prompt blocks of the trace
 * @param distinctBlocks distinct prompt prefixes: the capacity at which nothing is ever evicted
 * @param plan what was run
 * @param results the measurements
 * @param wallNanos wall time of the whole sweep
 */
public record SweepResult(
        String traceName,
        long requests,
        long totalBlocks,
        long distinctBlocks,
        SweepPlan plan,
        List<ReplayResult> results,
        long wallNanos) {

    /**
     * Validates and copies.
     *
     * @param traceName not null
     * @param requests any
     * @param totalBlocks any
     * @param distinctBlocks any
     * @param plan not null
     * @param results not null
     * @param wallNanos any
     */
    public SweepResult {
        results = List.copyOf(results);
    }

    /**
     * Returns the measurement of a policy or bound at a capacity.
     *
     * @param name a policy name, {@code "belady"} or {@code "infinite"}
     * @param capacity one of the plan's capacities
     * @return the result, if it was run
     */
    public Optional<ReplayResult> find(String name, int capacity) {
        return results.stream()
                .filter(r -> r.name().equals(name) && r.capacity() == capacity)
                .findFirst();
    }

    /**
     * Returns the names in report order: the policies, then the bounds that were computed.
     *
     * @return policy names followed by {@code belady} and {@code infinite} if present
     */
    public List<String> names() {
        return results.stream().map(ReplayResult::name).distinct().toList();
    }
}
