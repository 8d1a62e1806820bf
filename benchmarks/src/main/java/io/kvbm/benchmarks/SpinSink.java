package io.kvbm.benchmarks;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

/**
 * A subscriber that requests everything and publishes the value in a field, so a benchmark thread can wait
 * for its own value without {@code block()} when another thread may deliver it (a busy drain loop serves a queued
 * request on its owner's thread).
 *
 * <p>The value is published with a release store and read with acquire loads: on x86 both are plain moves, so the
 * harness adds no fence to a synchronous delivery (a volatile store would add one, a few nanoseconds that would be
 * charged to both sides of every comparison).
 *
 * <p>Waiting spins, then yields in case the thread that owes the value was descheduled. That is fine in a JMH worker
 * thread, which is not a Reactor thread and has nothing else to do; the library itself never spins or yields. Reused
 * across sequential subscriptions by one benchmark thread.
 */
final class SpinSink<T> implements CoreSubscriber<T> {

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(SpinSink.class, "value", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Object value;

    @Override
    public void onSubscribe(Subscription s) {
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(T t) {
        VALUE.setRelease(this, t);
    }

    @Override
    public void onError(Throwable t) {
        throw new IllegalStateException("benchmark operation failed", t);
    }

    @Override
    public void onComplete() {}

    /** Waits for the value of the last subscription, forgets it and returns it. */
    @SuppressWarnings("unchecked")
    T await() {
        Object t;
        for (int spins = 0; (t = VALUE.getAcquire(this)) == null; spins++) {
            if (spins < 256) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the thread that owes us the value may have been descheduled (2 cores, shared)
            }
        }
        VALUE.setOpaque(this, null); // only this thread writes null, and only after the value arrived
        return (T) t;
    }
}
