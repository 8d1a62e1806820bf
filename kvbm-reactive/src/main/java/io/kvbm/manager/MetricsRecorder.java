package io.kvbm.manager;

/**
 * Receives the measurements of a manager that are events rather than counts: today, how long each allocation that
 * had to wait spent in line.
 *
 * <p>Counts and pool sizes need no recorder: they are kept by the manager and read whenever a metrics system asks
 * ({@link BlockManager#stats()}, the accessors). A recorder exists for what cannot be read later, and it is called
 * only off the hot path: an allocation served at once never reaches it.
 *
 * <p>Install one with {@link BlockManager.Builder#metrics(java.util.function.Function)}; {@code io.kvbm.metrics}
 * provides the Micrometer implementation (the {@code kvbm.allocation.wait} timer). The manager itself depends on no
 * metrics library.
 *
 * <h2>Threading</h2>
 *
 * Methods are called from the manager's drain loop, so from any thread that operates on the manager, one call at a
 * time. They MUST be cheap and non-blocking (they run on event-loop threads) and MUST NOT call back into the manager.
 * An exception thrown by a recorder is ignored: metrics never change the outcome of an allocation.
 *
 * @see BlockManager.Builder#metrics(java.util.function.Function)
 */
public interface MetricsRecorder {

    /**
     * Records one allocation that waited for blocks, once, when it leaves the line.
     *
     * @param waitNanos the time it spent waiting, from joining the line to leaving it, in nanoseconds
     * @param outcome why it left the line
     */
    void recordAllocationWait(long waitNanos, WaitOutcome outcome);

    /**
     * Returns the recorder that records nothing, the default.
     *
     * @return the no-op recorder
     */
    static MetricsRecorder noop() {
        return NoopMetricsRecorder.INSTANCE;
    }

    /** Why a waiting allocation left the line. */
    enum WaitOutcome {
        /** Its blocks were delivered ({@code allocate(n)} when blocks were released or evictable). */
        ACQUIRED,
        /** Its {@code maxWait} elapsed ({@link BlockManager#allocate(int, java.time.Duration)}). */
        TIMED_OUT,
        /** The subscriber cancelled (for example an operator {@code timeout}) before the blocks were delivered. */
        CANCELLED,
        /** It failed: the manager was closed while it waited (or an internal error, which the log names). */
        FAILED
    }
}
