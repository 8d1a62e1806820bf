package io.kvbm.manager;

import io.kvbm.internal.Signals;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;

/**
 * A cold {@link Mono} whose every subscription runs one action in the drain loop and emits its result.
 *
 * <p>The action runs on the first request. It returns the value to emit, or {@code null} to complete empty, or throws
 * to signal an error. A subscriber that cancels before the action runs prevents it; one that cancels while it runs
 * does not receive the value, which is handed to {@code discard} instead (closing the guards it holds), so a result is
 * never lost between the loop and a cancelled subscriber.
 */
final class StoreMono<T> extends Mono<T> implements Scannable {

    static <T> Mono<T> create(DrainLoop loop, Function<DrainLoop, @Nullable T> action, Consumer<? super T> discard) {
        return Mono.onAssembly(new StoreMono<>(loop, action, discard));
    }

    private final DrainLoop loop;
    private final Function<DrainLoop, @Nullable T> action;
    private final Consumer<? super T> discard;

    private StoreMono(DrainLoop loop, Function<DrainLoop, @Nullable T> action, Consumer<? super T> discard) {
        this.loop = loop;
        this.action = action;
        this.discard = discard;
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        actual.onSubscribe(new Operation<>(loop, action, discard, actual));
    }

    @Override
    public @Nullable Object scanUnsafe(Attr key) {
        return key == Attr.RUN_STYLE ? Attr.RunStyle.SYNC : null;
    }

    static final class Operation<T> implements Subscription, Runnable, Scannable {

        private static final int NEW = 0;
        private static final int REQUESTED = 1;
        private static final int RUNNING = 2;
        private static final int DONE = 3;
        private static final int CANCELLED = 4;

        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<Operation> STATE =
                AtomicIntegerFieldUpdater.newUpdater(Operation.class, "state");

        private final DrainLoop loop;
        private final Function<DrainLoop, @Nullable T> action;
        private final Consumer<? super T> discard;
        private final CoreSubscriber<? super T> actual;
        private volatile int state;

        Operation(
                DrainLoop loop,
                Function<DrainLoop, @Nullable T> action,
                Consumer<? super T> discard,
                CoreSubscriber<? super T> actual) {
            this.loop = loop;
            this.action = action;
            this.discard = discard;
            this.actual = actual;
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                // Rule 3.9: end the operation as cancel() does; winning the state word makes this the only signal.
                if (terminate()) {
                    actual.onError(Exceptions.nullOrNegativeRequestException(n));
                }
                return;
            }
            if (STATE.compareAndSet(this, NEW, REQUESTED)) {
                loop.execute(this);
            }
        }

        @Override
        public void run() {
            if (!STATE.compareAndSet(this, REQUESTED, RUNNING)) {
                return; // cancelled before its turn
            }
            T value;
            try {
                value = action.apply(loop);
            } catch (Throwable t) {
                Exceptions.throwIfJvmFatal(t);
                if (STATE.compareAndSet(this, RUNNING, DONE)) {
                    Signals.error(actual, t);
                }
                return;
            }
            if (STATE.compareAndSet(this, RUNNING, DONE)) {
                // A subscriber that throws keeps the value and is not signalled again; the loop carries on.
                if (value == null) {
                    Signals.complete(actual);
                } else {
                    Signals.nextAndComplete(actual, value);
                }
            } else if (value != null) {
                discard.accept(value);
            }
        }

        @Override
        public void cancel() {
            terminate();
        }

        /** Moves to CANCELLED unless already terminal; a running action then discards its result. */
        private boolean terminate() {
            for (; ; ) {
                int s = state;
                if (s == DONE || s == CANCELLED) {
                    return false;
                }
                if (STATE.compareAndSet(this, s, CANCELLED)) {
                    return true;
                }
            }
        }

        @Override
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.CANCELLED) {
                return state == CANCELLED;
            }
            if (key == Attr.TERMINATED) {
                return state == DONE;
            }
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.SYNC;
            }
            return null;
        }
    }
}
