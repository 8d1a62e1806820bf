package io.kvbm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Garbage-collection helpers for leak-detection tests. Call from the test thread only: they sleep. */
public final class Gc {

    /** How long {@link #await(BooleanSupplier)} collects before it gives up. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

    private Gc() {}

    /** Runs {@code System.gc()} until {@code condition} holds (the cleaner may need a few rounds); fails after 10 s. */
    public static void await(BooleanSupplier condition) {
        await(condition, DEFAULT_WAIT);
    }

    /** Runs {@code System.gc()} every 10 ms until {@code condition} holds; fails after {@code max}. */
    public static void await(BooleanSupplier condition, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the GC", e);
            }
        }
        assertThat(condition.getAsBoolean())
                .as("condition reached within %s of GC", max)
                .isTrue();
    }
}
