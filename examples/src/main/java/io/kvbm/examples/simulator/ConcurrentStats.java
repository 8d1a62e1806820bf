package io.kvbm.examples.simulator;

/**
 * What the concurrent replay measures beyond the hit rate. Times are simulated (virtual) milliseconds.
 *
 * @param completed requests that finished
 * @param rejected requests longer (prompt plus answer) than the whole cache, never admitted
 * @param preemptions times a running request could not get a block for its answer in time and was restarted
 * @param meanQueueingMillis mean time from arrival to getting the prompt's blocks (first admission)
 * @param p50QueueingMillis median of the same
 * @param p99QueueingMillis 99th percentile of the same
 * @param maxQueueingMillis the longest such wait
 * @param peakRunning the most requests holding blocks at one instant
 * @param makespanMillis simulated time from the first arrival to the last completion
 */
public record ConcurrentStats(
        long completed,
        long rejected,
        long preemptions,
        double meanQueueingMillis,
        double p50QueueingMillis,
        double p99QueueingMillis,
        double maxQueueingMillis,
        int peakRunning,
        double makespanMillis) {}
