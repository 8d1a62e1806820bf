package io.kvbm.examples.simulator;

import java.util.List;
import java.util.Objects;

/**
 * What a {@link Sweep} runs: every named policy at every capacity, plus the bounds.
 *
 * @param mode sequential or concurrent replay
 * @param policies names from the {@link PolicyRegistry}, in report order
 * @param capacities block counts, ascending, each at least the longest request
 * @param blockSize tokens per block (the trace's: 512 for the Mooncake traces)
 * @param bounds whether to compute the infinite-cache and Belady bounds (sequential model; shown for reference in
 *     concurrent mode too)
 * @param concurrent the timing model of the concurrent mode
 * @param threads how many replays run at once
 */
public record SweepPlan(
        ReplayMode mode,
        List<String> policies,
        List<Integer> capacities,
        int blockSize,
        boolean bounds,
        ConcurrentConfig concurrent,
        int threads) {

    /**
     * Validates and copies.
     *
     * @param mode not null
     * @param policies not empty
     * @param capacities not empty, positive, sorted ascending without duplicates
     * @param blockSize a power of two in [1, 1024]
     * @param bounds any
     * @param concurrent not null
     * @param threads at least 1
     */
    public SweepPlan {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(concurrent, "concurrent");
        policies = List.copyOf(policies);
        capacities = capacities.stream().sorted().distinct().toList();
        if (policies.isEmpty()) {
            throw new IllegalArgumentException("policies must not be empty");
        }
        if (capacities.isEmpty() || capacities.get(0) < 1) {
            throw new IllegalArgumentException("capacities must be positive and not empty, got " + capacities);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }
}
