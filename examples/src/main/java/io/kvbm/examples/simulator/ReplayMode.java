package io.kvbm.examples.simulator;

/** How a trace is replayed. */
public enum ReplayMode {
    /** One request at a time in file order: the reference definition of the hit rate ({@link SequentialReplay}). */
    SEQUENTIAL,
    /** Arrivals by timestamp, concurrent requests, backpressure and preemption ({@link ConcurrentReplay}). */
    CONCURRENT
}
