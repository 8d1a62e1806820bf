package io.kvbm.transport.http;

/**
 * An event stream ended before its {@code SHUTDOWN} batch: the server closed, restarted or dropped the connection.
 * {@link KvbmHttpEventClient} treats it like any lost connection and reconnects per its reconnect policy; it surfaces
 * (as the cause of the policy's exhaustion error) only when the policy gives up.
 */
public final class EventStreamDisconnectedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what ended and where
     */
    public EventStreamDisconnectedException(String message) {
        super(message);
    }
}
