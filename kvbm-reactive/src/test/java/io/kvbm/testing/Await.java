package io.kvbm.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits on the test thread for something another thread (a Netty event loop, a timer) makes true: polls every few
 * milliseconds until {@link TestBlocks#TIMEOUT}. For tests whose subject is asynchronous delivery; it MUST NOT be called
 * on a non-blocking thread (it sleeps).
 */
public final class Await {

    private static final long POLL_MILLIS = 5;

    private Await() {}

    /** Returns once {@code condition} holds; fails naming {@code what} (and its state) if it does not in time. */
    public static void until(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + TestBlocks.TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + TestBlocks.TIMEOUT + " waiting for " + what.get());
            }
            sleep(Duration.ofMillis(POLL_MILLIS));
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
