package io.kvbm.internal;

import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.publisher.Operators;

/**
 * Signals a subscriber from code that must carry on whatever the subscriber does: a manager's drain loop (which runs
 * other callers' operations around the signal) and the per-subscriber event delivery.
 *
 * <p>Reactive Streams §2.13 forbids a subscriber to throw from a signal, but a raw {@link CoreSubscriber} can. If the
 * exception escaped, it would unwind through the operation that signalled (leaving a half-done state change behind,
 * a waiting allocation unserved or an event stream wedged) and be counted as an internal error of the library. Here
 * it is contained instead, as §2.13 prescribes: the subscription is considered cancelled (the caller stops signalling
 * it, which is what the {@code false} return value is for) and the exception is reported through
 * {@link Operators#onErrorDropped} (so {@code Hooks.onErrorDropped} sees it; by default Reactor logs it). JVM-fatal
 * errors still propagate.
 *
 * <p>A value passed to {@code onNext} belongs to the subscriber whether or not it then throws: it may have kept the
 * value before throwing, so the library never takes it back.
 */
public final class Signals {

    private Signals() {}

    /**
     * Calls {@code actual.onNext(value)}.
     *
     * @param actual the subscriber
     * @param value the value, which now belongs to the subscriber
     * @param <T> the value type
     * @return false if the subscriber threw: its subscription is then cancelled and MUST NOT be signalled again
     */
    public static <T> boolean next(CoreSubscriber<? super T> actual, T value) {
        try {
            actual.onNext(value);
            return true;
        } catch (Throwable t) {
            dropped(actual, t);
            return false;
        }
    }

    /**
     * Calls {@code actual.onComplete()}, containing an exception it throws.
     *
     * @param actual the subscriber
     */
    public static void complete(CoreSubscriber<?> actual) {
        try {
            actual.onComplete();
        } catch (Throwable t) {
            dropped(actual, t);
        }
    }

    /**
     * Calls {@code actual.onError(error)}, containing an exception it throws.
     *
     * @param actual the subscriber
     * @param error the error to signal
     */
    public static void error(CoreSubscriber<?> actual, Throwable error) {
        try {
            actual.onError(error);
        } catch (Throwable t) {
            dropped(actual, t);
        }
    }

    /**
     * Calls {@code actual.onNext(value)} then {@code actual.onComplete()} unless {@code onNext} threw.
     *
     * @param actual the subscriber
     * @param value the value, which now belongs to the subscriber
     * @param <T> the value type
     */
    public static <T> void nextAndComplete(CoreSubscriber<? super T> actual, T value) {
        if (next(actual, value)) {
            complete(actual);
        }
    }

    private static void dropped(CoreSubscriber<?> actual, Throwable t) {
        Exceptions.throwIfJvmFatal(t);
        try {
            Operators.onErrorDropped(t, actual.currentContext());
        } catch (Throwable hookFailure) {
            // A hook (or the default logging, refused on a non-blocking thread) must not unwind into the caller either.
            Exceptions.throwIfJvmFatal(hookFailure);
        }
    }
}
