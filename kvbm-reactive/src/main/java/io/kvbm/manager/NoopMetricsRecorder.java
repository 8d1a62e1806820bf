package io.kvbm.manager;

/** The recorder of a manager built without metrics: records nothing. */
enum NoopMetricsRecorder implements MetricsRecorder {
    INSTANCE;

    @Override
    public void recordAllocationWait(long waitNanos, WaitOutcome outcome) {}
}
