package io.kvbm.request;

/**
 * A synchronous listener of a {@link SchedulableSequence}'s transitions (kvbm's {@code SequenceDelegate}).
 *
 * <p>{@link #onEvent} is called once per transition, in call order, on the thread that performs the transition: the
 * caller's thread for synchronous operations, and for the {@link reactor.core.publisher.Mono}-returning ones the
 * thread that completes them (the subscribing thread, or the thread that owns the manager's drain loop at that
 * moment). It runs after the transition is complete and before the operation signals its result.
 *
 * <p>Implementations MUST be fast and MUST NOT block, and SHOULD NOT call back into the sequence. An exception thrown
 * by {@code onEvent} is logged and dropped: the transition it reports has already happened. For an asynchronous view,
 * subscribe to {@link SchedulableSequence#events()} instead.
 */
@FunctionalInterface
public interface SequenceDelegate {

    /**
     * Receives one transition.
     *
     * @param event the transition that just happened
     */
    void onEvent(SequenceEvent event);

    /**
     * Returns the delegate that ignores every event (kvbm's {@code NoopDelegate}), the default of
     * {@link SchedulableSequence.Builder}.
     *
     * @return a shared no-op delegate
     */
    static SequenceDelegate noop() {
        return NoopDelegate.INSTANCE;
    }
}
