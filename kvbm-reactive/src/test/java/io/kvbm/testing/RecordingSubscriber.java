package io.kvbm.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Operators;

/**
 * A subscriber for race tests that keeps every value it receives, <em>including values that arrive after it
 * cancelled</em>, and requests only when told to.
 *
 * <p>Reactor's own subscribers ({@code subscribe(Consumer)}, {@code block()}, {@code .timeout(...)}) hand values that
 * arrive after a cancel to {@code Hooks.onNextDropped}, so a race test using them would lose a block that the library
 * correctly delivered. This one keeps it, so the test can close it and check that every block is accounted for.
 *
 * <p>Thread-safe: {@link #request(long)} and {@link #cancel()} may race each other and the signals. Nothing is
 * requested on subscription unless the subscriber was created with {@link #requesting()}.
 *
 * @param <T> the value type
 */
public final class RecordingSubscriber<T> implements CoreSubscriber<T> {

    private final AtomicReference<@Nullable Subscription> subscription = new AtomicReference<>();
    private final ConcurrentLinkedQueue<T> values = new ConcurrentLinkedQueue<>();
    private final boolean requestOnSubscribe;
    private volatile @Nullable Throwable error;
    private volatile boolean completed;
    private volatile boolean cancelled;

    private RecordingSubscriber(boolean requestOnSubscribe) {
        this.requestOnSubscribe = requestOnSubscribe;
    }

    /** A subscriber that requests nothing until {@link #request(long)} is called. */
    public static <T> RecordingSubscriber<T> manual() {
        return new RecordingSubscriber<>(false);
    }

    /** A subscriber that requests an unbounded amount on subscription. */
    public static <T> RecordingSubscriber<T> requesting() {
        return new RecordingSubscriber<>(true);
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(subscription.get(), s) && subscription.compareAndSet(null, s)) {
            if (cancelled) {
                s.cancel();
            } else if (requestOnSubscribe) {
                s.request(Long.MAX_VALUE);
            }
        }
    }

    @Override
    public void onNext(T value) {
        values.add(value);
    }

    @Override
    public void onError(Throwable t) {
        error = t;
    }

    @Override
    public void onComplete() {
        completed = true;
    }

    /** Requests {@code n} more values. */
    public void request(long n) {
        Subscription s = subscription.get();
        if (s != null) {
            s.request(n);
        }
    }

    /** Cancels the subscription; values that still arrive are kept. */
    public void cancel() {
        cancelled = true;
        Subscription s = subscription.get();
        if (s != null) {
            s.cancel();
        }
    }

    /** The values received so far, in order, including those that arrived after {@link #cancel()}. */
    public List<T> values() {
        return new ArrayList<>(values);
    }

    /** Removes and returns the values received so far: the caller now owns them. */
    public List<T> takeValues() {
        List<T> taken = new ArrayList<>();
        T v;
        while ((v = values.poll()) != null) {
            taken.add(v);
        }
        return taken;
    }

    public @Nullable Throwable error() {
        return error;
    }

    public boolean isCompleted() {
        return completed;
    }

    public boolean isTerminated() {
        return completed || error != null;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public String toString() {
        return "RecordingSubscriber[values=" + values + ", completed=" + completed + ", error=" + error + ", cancelled="
                + cancelled + "]";
    }
}
