package io.kvbm.examples.simulator;

/**
 * The knobs of the concurrent replay ({@link ConcurrentReplay}). Times are simulated milliseconds.
 *
 * @param speedup arrival timestamps are divided by this (2 replays the trace twice as fast, doubling the load)
 * @param maxRunning the most requests admitted at once (holding blocks)
 * @param prefillMillisPerBlock simulated time to compute one prompt block that was not a cache hit
 * @param decodeMillisPerToken simulated time to generate one answer token
 * @param preemptAfterMillis how long a running request may wait for a block for its answer before it is preempted:
 *     it releases everything it holds and goes back to the front of the queue, to be redone from its prompt
 * @param reservePerRunning admission watermark: a prompt is allocated only when the free pool covers it plus this many
 *     blocks per running request (0 admits greedily, and running requests then get preempted by admissions)
 */
public record ConcurrentConfig(
        double speedup,
        int maxRunning,
        double prefillMillisPerBlock,
        double decodeMillisPerToken,
        double preemptAfterMillis,
        int reservePerRunning) {

    /**
     * Validates.
     *
     * @param speedup positive
     * @param maxRunning at least 1
     * @param prefillMillisPerBlock not negative
     * @param decodeMillisPerToken not negative
     * @param preemptAfterMillis positive
     * @param reservePerRunning not negative
     */
    public ConcurrentConfig {
        if (!(speedup > 0) || Double.isInfinite(speedup)) {
            throw new IllegalArgumentException("speedup must be a positive number, got " + speedup);
        }
        if (maxRunning < 1) {
            throw new IllegalArgumentException("maxRunning must be >= 1, got " + maxRunning);
        }
        if (!(prefillMillisPerBlock >= 0)) {
            throw new IllegalArgumentException("prefillMillisPerBlock must be >= 0, got " + prefillMillisPerBlock);
        }
        if (!(decodeMillisPerToken >= 0)) {
            throw new IllegalArgumentException("decodeMillisPerToken must be >= 0, got " + decodeMillisPerToken);
        }
        if (!(preemptAfterMillis > 0)) {
            throw new IllegalArgumentException("preemptAfterMillis must be > 0, got " + preemptAfterMillis);
        }
        if (reservePerRunning < 0) {
            throw new IllegalArgumentException("reservePerRunning must be >= 0, got " + reservePerRunning);
        }
    }

    /**
     * Returns the defaults: real-time arrivals, 64 running requests, 20 ms per prompt block (about 25 000 prompt
     * tokens/s), 20 ms per answer token (50 tokens/s per request), preemption after 50 ms without a block, one block
     * of headroom per running request.
     *
     * @return the defaults
     */
    public static ConcurrentConfig defaults() {
        return new ConcurrentConfig(1.0, 64, 20.0, 20.0, 50.0, 1);
    }
}
