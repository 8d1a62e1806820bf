package io.kvbm.transport.http;

/**
 * The server answered an event-stream request with an error status: a {@code 4xx} ends the
 * {@link KvbmHttpEventClient} stream at once (the request is wrong and retrying cannot help), a {@code 5xx} is retried
 * by its reconnect policy like a lost connection.
 */
public final class HttpStatusException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * Creates the exception.
     *
     * @param status the HTTP status code
     * @param body the body of the response, which names what was wrong
     */
    public HttpStatusException(int status, String body) {
        super("HTTP " + status + (body.isEmpty() ? "" : ": " + body));
        this.status = status;
    }

    /**
     * Returns the HTTP status code.
     *
     * @return the status, for example 404
     */
    public int status() {
        return status;
    }
}
