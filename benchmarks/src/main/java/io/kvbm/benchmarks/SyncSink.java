package io.kvbm.benchmarks;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

/**
 * A subscriber that requests everything and keeps the last value, so a benchmark can subscribe to a {@code Mono} that
 * completes during {@code subscribe} (an uncontended allocation) and read the result without {@code block()}.
 *
 * <p>Reused across sequential subscriptions by one benchmark thread; never shared between threads.
 */
final class SyncSink<T> implements CoreSubscriber<T> {

    private T value;

    @Override
    public void onSubscribe(Subscription s) {
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(T t) {
        value = t;
    }

    @Override
    public void onError(Throwable t) {
        throw new IllegalStateException("benchmark operation failed", t);
    }

    @Override
    public void onComplete() {}

    /** Returns and forgets the value of the last subscription; fails if it did not complete synchronously. */
    T take() {
        T t = value;
        if (t == null) {
            throw new IllegalStateException("the operation did not complete during subscribe");
        }
        value = null;
        return t;
    }
}
