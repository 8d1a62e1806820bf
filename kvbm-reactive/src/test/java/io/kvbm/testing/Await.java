package io.kvbm.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits on the test thread until a condition holds, polling every 10 ms, instead of sleeping a fixed time: fast when
 * the machine is idle, patient when it is loaded. MUST NOT be called on a {@code parallel()} thread (it sleeps).
 */
public final class Await {

    /** The default patience: long enough for a busy 2-core CI machine. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Await() {}

    /** Waits up to {@link #TIMEOUT} for {@code condition}; fails naming {@code what} (and its state) otherwise. */
    public static void until(BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + TIMEOUT + " waiting for " + what.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", e);
            }
        }
    }

    /** Waits up to {@link #TIMEOUT} for {@code condition}; fails with {@code what} otherwise. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, condition, TIMEOUT, () -> "");
    }

    /**
     * Waits up to {@code timeout} for {@code condition}; fails with {@code what} and the {@code state} at the time
     * of giving up otherwise.
     */
    public static void until(String what, BooleanSupplier condition, Duration timeout, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what + ". " + state.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what, e);
            }
        }
    }
}
