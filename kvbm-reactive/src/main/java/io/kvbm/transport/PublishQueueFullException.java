package io.kvbm.transport;

/**
 * A publisher refused a message because its bounded send queue is full.
 *
 * <p>A publisher whose client may block (jnats, for one) sends from a thread of its own and queues what callers
 * publish; when the transport cannot keep up, or is down and its client blocks, that queue fills and further messages
 * are refused with this exception instead of making the caller wait. The message is lost (delivery is at most once);
 * event consumers notice the lost batch by its {@code seq} and resynchronize.
 */
public final class PublishQueueFullException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final int capacity;

    /**
     * Creates the exception.
     *
     * @param capacity the queue capacity that was reached
     */
    public PublishQueueFullException(int capacity) {
        super("the publish queue is full (queueCapacity=" + capacity + "); the message was discarded");
        this.capacity = capacity;
    }

    /**
     * Returns the capacity of the queue that was full.
     *
     * @return the queue capacity, in messages
     */
    public int capacity() {
        return capacity;
    }
}
