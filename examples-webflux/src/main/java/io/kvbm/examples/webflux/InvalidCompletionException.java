package io.kvbm.examples.webflux;

/** A completion request the server can never serve as asked; answered 400. */
public final class InvalidCompletionException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the field and the value
     */
    public InvalidCompletionException(String message) {
        super(message);
    }
}
