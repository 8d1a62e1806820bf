package io.kvbm.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs operations against each other on {@link Schedulers#parallel()} threads, like reactor-test's
 * {@code RaceTestUtils.race(Scheduler, Runnable...)}, but in a way BlockHound accepts.
 *
 * <p>{@code RaceTestUtils} lines its racers up with a {@code Thread.yield()} spin, which BlockHound reports as a
 * blocking call on a {@code parallel()} thread, so it cannot race on the threads BlockHound checks. Here the racers
 * line up with a plain bounded busy-wait (no {@code yield}, no {@code onSpinWait}, both of which BlockHound flags):
 * each racer announces itself and spins until all have arrived or a spin budget runs out, then runs. The budget keeps
 * it deadlock-free when more racers than {@code parallel()} threads land on one worker (the race is then merely
 * less tight). The calling (test) thread waits for all racers and rethrows what they threw, including a
 * {@code BlockingOperationError}.
 */
public final class Races {

    /** Spins a racer waits for the others before running anyway: some tens of microseconds. */
    private static final int MAX_SPINS = 1 << 16;

    private static final long TIMEOUT_SECONDS = 10;

    private Races() {}

    /** Races {@code racers} on {@link Schedulers#parallel()}; returns when all have run; rethrows their failures. */
    public static void race(Runnable... racers) {
        race(Schedulers.parallel(), racers);
    }

    /** Races {@code racers} on {@code scheduler}; call from the test thread only (it waits). */
    public static void race(Scheduler scheduler, Runnable... racers) {
        int n = racers.length;
        AtomicInteger arrived = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(n);
        AtomicReferenceArray<Throwable> errors = new AtomicReferenceArray<>(n);
        for (int i = 0; i < n; i++) {
            int index = i;
            Runnable racer = racers[i];
            scheduler.schedule(() -> {
                try {
                    arrived.incrementAndGet();
                    for (int spins = 0; arrived.get() < n && spins < MAX_SPINS; spins++) {
                        // busy-wait: yield/onSpinWait/park would be reported by BlockHound
                    }
                    racer.run();
                } catch (Throwable t) {
                    errors.set(index, t);
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("race did not finish within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the race", e);
        }
        List<Throwable> failures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Throwable t = errors.get(i);
            if (t != null) {
                failures.add(t);
            }
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("racer failed: " + failures.get(0), failures.get(0));
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }
}
