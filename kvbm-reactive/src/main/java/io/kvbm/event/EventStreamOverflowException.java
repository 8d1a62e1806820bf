package io.kvbm.event;

/**
 * Terminates an event subscriber that fell more than its buffer behind.
 *
 * <p>The producer (a manager's drain loop) never waits for a subscriber and never drops an event silently: a
 * subscriber that does not request fast enough accumulates batches in its own bounded buffer, and when that buffer
 * would exceed its size (counted in events, i.e. hashes) the subscriber alone is terminated with this exception.
 * Other subscribers and the manager are unaffected. The subscriber MAY resubscribe, typically with
 * {@code eventsWithSnapshot()} to learn the current state.
 */
public final class EventStreamOverflowException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final int bufferSize;

    /**
     * Creates the exception.
     *
     * @param bufferSize the subscriber's buffer size, in events
     */
    public EventStreamOverflowException(int bufferSize) {
        super("event subscriber fell more than " + bufferSize + " events behind (eventBufferSize=" + bufferSize
                + ") and was terminated; resubscribe with eventsWithSnapshot() to resynchronize");
        this.bufferSize = bufferSize;
    }

    /**
     * Returns the buffer size that was exceeded.
     *
     * @return the subscriber's buffer size, in events
     */
    public int bufferSize() {
        return bufferSize;
    }
}
