package io.kvbm.internal;

import io.kvbm.event.EventStreamOverflowException;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;

/**
 * A hot multicast of event values in which each subscriber has its own bounded buffer and a subscriber that overflows
 * it is terminated alone.
 *
 * <p>Why not a {@code Sinks.many().multicast()}: a direct best-effort sink drops values for a slow subscriber
 * silently, a buffering one slows everybody to the slowest subscriber; the contract here is that the producer never
 * waits and never drops silently. Each subscriber gets a private queue; its size is counted in <em>weight</em> (events,
 * not batches), and an emission that would take a subscriber past {@code bufferSize} ends that subscriber with
 * {@link EventStreamOverflowException} instead (after which it is skipped) while the others carry on.
 *
 * <p>Threading: {@link #emit}, {@link #attach} and {@link #complete} are called by one producer at a time (a
 * manager's drain loop, or a registry's serialized emitter), with happens-before between successive callers; each
 * subscriber's queue is therefore single-producer. Requests and cancellations come from any thread; delivery runs on
 * whichever thread drains the subscriber (the producer's, or the requester's), serialized per subscriber.
 */
public final class EventBroadcaster<T> {

    @SuppressWarnings("rawtypes")
    private static final Inner[] EMPTY = new Inner[0];

    @SuppressWarnings("rawtypes")
    private static final AtomicReferenceFieldUpdater<EventBroadcaster, Inner[]> SUBSCRIBERS =
            AtomicReferenceFieldUpdater.newUpdater(EventBroadcaster.class, Inner[].class, "subscribers");

    private final int bufferSize;
    private final ToIntFunction<? super T> weight;
    private final Runnable onOverflow;

    @SuppressWarnings("unchecked")
    private volatile Inner<T>[] subscribers = EMPTY;

    private boolean completed; // producer only

    /**
     * Creates a broadcaster.
     *
     * @param bufferSize each subscriber's buffer, in weight units, at least 1
     * @param weight the weight of one value (a batch of n events weighs n)
     * @param onOverflow called (by the producer) each time a subscriber is terminated for overflowing
     */
    public EventBroadcaster(int bufferSize, ToIntFunction<? super T> weight, Runnable onOverflow) {
        if (bufferSize < 1) {
            throw new IllegalArgumentException("bufferSize must be positive, got " + bufferSize);
        }
        this.bufferSize = bufferSize;
        this.weight = weight;
        this.onOverflow = onOverflow;
    }

    /**
     * Returns a subscription for {@code actual} that buffers until {@link #attach} connects it; the caller MUST pass
     * it to {@code actual.onSubscribe} before anything else.
     *
     * @param actual the subscriber
     * @return the subscription
     */
    public Subscription prepare(CoreSubscriber<? super T> actual) {
        return new Inner<>(this, actual);
    }

    /**
     * Connects a prepared subscription (producer only): it first receives {@code prefill}, then every later
     * emission. After {@link #complete()} it receives the prefill and completes. The prefill does not count against
     * the subscriber's buffer: it is a snapshot, bounded by what the producer holds, and a subscriber must be able to
     * receive one larger than its buffer.
     *
     * @param subscription a subscription from {@link #prepare}
     * @param prefill values to deliver before the live ones (a snapshot), possibly empty
     */
    @SuppressWarnings("unchecked")
    public void attach(Subscription subscription, List<T> prefill) {
        Inner<T> inner = (Inner<T>) subscription;
        for (T value : prefill) {
            inner.offerPrefill(value);
        }
        if (completed) {
            inner.complete();
            return;
        }
        for (; ; ) {
            Inner<T>[] current = subscribers;
            if (inner.cancelled) {
                return;
            }
            Inner<T>[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = inner;
            if (SUBSCRIBERS.compareAndSet(this, current, next)) {
                return;
            }
        }
    }

    /**
     * Delivers {@code value} to every connected subscriber (producer only).
     *
     * @param value the value
     */
    public void emit(T value) {
        int w = weight.applyAsInt(value);
        for (Inner<T> inner : subscribers) {
            if (!inner.offer(value, w)) {
                remove(inner);
                onOverflow.run();
            }
        }
    }

    /** Completes every subscriber once its buffer is delivered; later attachments complete at once (producer only). */
    @SuppressWarnings("unchecked")
    public void complete() {
        completed = true;
        Inner<T>[] all = SUBSCRIBERS.getAndSet(this, EMPTY);
        for (Inner<T> inner : all) {
            inner.complete();
        }
    }

    /**
     * Returns the number of connected subscribers.
     *
     * @return the count; a snapshot
     */
    public int subscriberCount() {
        return subscribers.length;
    }

    @SuppressWarnings("unchecked")
    void remove(Inner<T> inner) {
        for (; ; ) {
            Inner<T>[] current = subscribers;
            int at = -1;
            for (int i = 0; i < current.length; i++) {
                if (current[i] == inner) {
                    at = i;
                    break;
                }
            }
            if (at < 0) {
                return;
            }
            Inner<T>[] next = current.length == 1 ? EMPTY : new Inner[current.length - 1];
            System.arraycopy(current, 0, next, 0, at);
            System.arraycopy(current, at + 1, next, at, current.length - at - 1);
            if (SUBSCRIBERS.compareAndSet(this, current, next)) {
                return;
            }
        }
    }

    /** A snapshot value in a subscriber's queue: delivered like the others, not counted in its buffer. */
    private static final class Prefill {
        final Object value;

        Prefill(Object value) {
            this.value = value;
        }
    }

    /** One subscriber: its queue, its demand, its serialized delivery. */
    static final class Inner<T> implements Subscription {

        @SuppressWarnings("rawtypes")
        private static final AtomicIntegerFieldUpdater<Inner> WIP =
                AtomicIntegerFieldUpdater.newUpdater(Inner.class, "wip");

        @SuppressWarnings("rawtypes")
        private static final AtomicLongFieldUpdater<Inner> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(Inner.class, "requested");

        @SuppressWarnings("rawtypes")
        private static final AtomicLongFieldUpdater<Inner> BUFFERED =
                AtomicLongFieldUpdater.newUpdater(Inner.class, "buffered");

        private final EventBroadcaster<T> parent;
        private final CoreSubscriber<? super T> actual;
        private final Queue<Object> queue = Queues.unbounded(64).get();

        private volatile int wip;
        private volatile long requested;
        private volatile long buffered;
        private volatile boolean cancelled;
        private volatile boolean done;
        private volatile @Nullable Throwable error;
        private boolean terminated; // delivery only

        Inner(EventBroadcaster<T> parent, CoreSubscriber<? super T> actual) {
            this.parent = parent;
            this.actual = actual;
        }

        /** Producer: queues a value; returns false (and terminates this subscriber) if it would overflow. */
        boolean offer(T value, int w) {
            if (cancelled || done) {
                return true;
            }
            if (buffered + w > parent.bufferSize) {
                error = new EventStreamOverflowException(parent.bufferSize);
                done = true;
                drain();
                return false;
            }
            queue.offer(value);
            BUFFERED.addAndGet(this, w);
            drain();
            return true;
        }

        /** Producer: queues a snapshot value outside the buffer's accounting. */
        void offerPrefill(T value) {
            if (cancelled || done) {
                return;
            }
            queue.offer(new Prefill(value));
            drain();
        }

        void complete() {
            done = true;
            drain();
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                Operators.addCap(REQUESTED, this, n);
                drain();
            } else {
                // Reactive Streams rule 3.9: end the subscription with an error instead of ignoring the request
                parent.remove(this);
                error = Exceptions.nullOrNegativeRequestException(n);
                done = true;
                drain();
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            parent.remove(this);
            drain();
        }

        @SuppressWarnings("unchecked")
        private void drain() {
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            for (; ; ) {
                if (!terminated) {
                    deliver();
                }
                missed = WIP.addAndGet(this, -missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        @SuppressWarnings("unchecked")
        private void deliver() {
            if (cancelled) {
                queue.clear();
                terminated = true;
                return;
            }
            Throwable e = error;
            if (e != null) {
                // overflow or a bad request: the backlog is of no use to a subscriber that is being failed
                queue.clear();
                terminated = true;
                Signals.error(actual, e);
                return;
            }
            long r = requested;
            long emitted = 0;
            while (emitted != r) {
                if (cancelled) {
                    queue.clear();
                    terminated = true;
                    return;
                }
                Object v = queue.poll();
                if (v == null) {
                    break;
                }
                if (v instanceof Prefill) {
                    v = ((Prefill) v).value;
                } else {
                    BUFFERED.addAndGet(this, -parent.weight.applyAsInt((T) v));
                }
                if (!Signals.next(actual, (T) v)) {
                    // §2.13: a subscriber that throws is cancelled, alone; the producer and the others carry on
                    cancelled = true;
                    parent.remove(this);
                    queue.clear();
                    terminated = true;
                    return;
                }
                emitted++;
            }
            if (emitted != 0 && r != Long.MAX_VALUE) {
                REQUESTED.addAndGet(this, -emitted);
            }
            if (done && queue.isEmpty()) {
                terminated = true;
                Throwable failure = error;
                if (failure != null) {
                    Signals.error(actual, failure);
                } else {
                    Signals.complete(actual);
                }
            }
        }
    }
}
