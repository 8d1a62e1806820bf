package io.kvbm.manager;

import io.kvbm.block.MutableBlock;
import io.kvbm.internal.Signals;
import io.kvbm.tokens.SequenceHash;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;

/**
 * One subscription to an allocation {@link Mono}: the request the drain loop serves, parks or fails.
 *
 * <p>The state word makes delivery and cancellation exclusive. {@code NEW → REQUESTED} on the first request enqueues
 * the request. When the loop serves it, it first takes the blocks from the store and then tries
 * {@code REQUESTED → DONE}; only the winner of that CAS signals the subscriber. A cancel wins from {@code NEW} or
 * {@code REQUESTED}: before the loop took anything, nothing is taken (a parked request is removed from the deque);
 * while the loop is taking the blocks, the loop's CAS fails and it puts all n blocks back itself. So each block ends
 * up exactly once either with the subscriber or back in the pool. A cancel after {@code DONE} is too late: the blocks
 * were delivered and belong to the subscriber.
 *
 * <p>Fast path: a first request that finds the drain loop idle claims the loop and runs inline without ever becoming
 * {@code REQUESTED}; if the blocks are there, the loop takes them and commits {@code NEW → DONE} with the same single
 * CAS and the same give-back on a lost race, so an uncontended allocation costs one CAS on this word, not two.
 */
final class AllocationRequest<T> implements Subscription, Runnable, Scannable {

    static final int SINGLE = 0;
    static final int LIST = 1;
    static final int TRY = 2;
    static final int WITH_EVICTIONS = 3;

    static final int NEW = 0;
    static final int REQUESTED = 1;
    private static final int DONE = 2;
    private static final int CANCELLED = 3;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(AllocationRequest.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /*
     * Five fields, 32 bytes with compressed pointers (48 before): the count and the kind share an int, and what only a
     * waiting request needs (its time limit, timer and start) lives in a Waiting made when it parks, or up front when
     * it has a time limit. Most allocations never wait, and this object is half of what one allocation allocates.
     */
    final DrainLoop loop;
    final CoreSubscriber<? super T> actual;
    private final int countAndKind;
    private volatile int state;
    /** Drain loop only (set at construction when there is a time limit). */
    private @Nullable Waiting waiting;

    /** The state of a request that waits (or may wait) in the pending deque; drain loop only once published. */
    static final class Waiting {
        /** The maximum time to wait in the pending deque, or null to wait as long as it takes. */
        final @Nullable Duration maxWait;
        /** The pending-timeout timer. */
        @Nullable
        Disposable timer;
        /** {@link System#nanoTime()} when it joined the pending line. */
        long since;

        Waiting(@Nullable Duration maxWait) {
            this.maxWait = maxWait;
        }
    }

    AllocationRequest(DrainLoop loop, CoreSubscriber<? super T> actual, int n, int kind, @Nullable Duration maxWait) {
        this.loop = loop;
        this.actual = actual;
        this.countAndKind = n << 2 | kind;
        this.waiting = maxWait == null ? null : new Waiting(maxWait);
    }

    /** The number of blocks requested. */
    int n() {
        return countAndKind >>> 2;
    }

    /** {@link #SINGLE}, {@link #LIST}, {@link #TRY} or {@link #WITH_EVICTIONS}. */
    int kind() {
        return countAndKind & 3;
    }

    /** The time limit of the wait, or null (drain loop only). */
    @Nullable
    Duration maxWait() {
        Waiting w = waiting;
        return w == null ? null : w.maxWait;
    }

    /** Joins the pending line at {@code now}; returns the waiting state (drain loop only). */
    Waiting startWaiting(long now) {
        Waiting w = waiting;
        if (w == null) {
            w = waiting = new Waiting(null);
        }
        w.since = now;
        return w;
    }

    /** {@link System#nanoTime()} when it joined the pending line; 0 if it never waited (drain loop only). */
    long waitingSince() {
        Waiting w = waiting;
        return w == null ? 0 : w.since;
    }

    /** Stops the pending-timeout timer, if any (drain loop only). */
    void stopTimer() {
        Waiting w = waiting;
        Disposable t = w == null ? null : w.timer;
        if (t != null) {
            w.timer = null;
            t.dispose();
        }
    }

    /** Forgets the timer after it fired (drain loop only). */
    void timerFired() {
        Waiting w = waiting;
        if (w != null) {
            w.timer = null;
        }
    }

    @Override
    public void request(long demand) {
        if (demand <= 0) {
            // Rule 3.9: give up the allocation as cancel() does, then signal; winning the state word makes this the
            // only signal, and a hand-over in progress returns the blocks itself.
            if (terminate()) {
                actual.onError(Exceptions.nullOrNegativeRequestException(demand));
            }
            return;
        }
        if (state != NEW) {
            return; // only the first request allocates
        }
        if (loop.tryEnter()) {
            // The loop is idle and now ours: serve inline, claiming NEW -> DONE once if the blocks are there.
            try {
                loop.allocateInline(this);
            } catch (Throwable t) {
                loop.internalError(t);
            } finally {
                loop.leave();
            }
        } else if (STATE.compareAndSet(this, NEW, REQUESTED)) {
            loop.enqueue(this);
        }
    }

    @Override
    public void run() {
        loop.onAllocate(this);
    }

    @Override
    public void cancel() {
        terminate();
    }

    private boolean terminate() {
        for (; ; ) {
            int s = state;
            if (s == DONE || s == CANCELLED) {
                return false;
            }
            if (STATE.compareAndSet(this, s, CANCELLED)) {
                if (s == REQUESTED) {
                    // May be parked in the pending deque: take it out so it neither counts against the limit
                    // nor blocks the head of the line.
                    loop.execute(() -> loop.onCancel(this));
                }
                return true;
            }
        }
    }

    boolean isRequested() {
        return state == REQUESTED;
    }

    /** {@code NEW -> REQUESTED} for the inline path that cannot serve at once; false if cancelled. */
    boolean markRequested() {
        return STATE.compareAndSet(this, NEW, REQUESTED);
    }

    boolean isNew() {
        return state == NEW;
    }

    /** Wins the right to signal the blocks the loop just took; false if the subscriber cancelled meanwhile. */
    boolean commit() {
        return commit(REQUESTED);
    }

    /** {@code from -> DONE}: {@code NEW} for a request served inline, {@code REQUESTED} otherwise. */
    boolean commit(int from) {
        return STATE.compareAndSet(this, from, DONE);
    }

    void fail(Throwable error) {
        fail(error, REQUESTED);
    }

    /** Signals {@code error} if the request is still in state {@code from}. */
    void fail(Throwable error, int from) {
        if (STATE.compareAndSet(this, from, DONE)) {
            Signals.error(actual, error);
        }
    }

    void completeEmpty() {
        if (STATE.compareAndSet(this, REQUESTED, DONE)) {
            Signals.complete(actual);
        }
    }

    /** Signals the one committed block (state is DONE), without the arrays of the general path. */
    @SuppressWarnings("unchecked")
    void emitOne(MutableBlock block, @Nullable List<SequenceHash> evicted) {
        Object value;
        if (kind() == SINGLE) {
            value = block;
        } else {
            List<MutableBlock> list = Collections.singletonList(block);
            value = kind() == WITH_EVICTIONS ? new Allocation(list, evicted == null ? List.of() : evicted) : list;
        }
        Signals.nextAndComplete(actual, (T) value); // a throwing subscriber keeps its blocks; the loop carries on
    }

    /** Signals the committed blocks (state is DONE). */
    @SuppressWarnings("unchecked")
    void emit(MutableBlock[] blocks, @Nullable List<SequenceHash> evicted) {
        Object value;
        if (kind() == SINGLE) {
            value = blocks[0];
        } else {
            List<MutableBlock> list = Collections.unmodifiableList(Arrays.asList(blocks));
            value = kind() == WITH_EVICTIONS ? new Allocation(list, evicted == null ? List.of() : evicted) : list;
        }
        Signals.nextAndComplete(actual, (T) value); // a throwing subscriber keeps its blocks; the loop carries on
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

    /** The cold {@link Mono} whose every subscription is one allocation. */
    static final class AllocationMono<T> extends Mono<T> implements Scannable {

        static <T> Mono<T> create(DrainLoop loop, int n, int kind, @Nullable Duration maxWait) {
            return onAssembly(new AllocationMono<>(loop, n, kind, maxWait));
        }

        private final DrainLoop loop;
        private final int n;
        private final int kind;
        private final @Nullable Duration maxWait;

        private AllocationMono(DrainLoop loop, int n, int kind, @Nullable Duration maxWait) {
            this.loop = loop;
            this.n = n;
            this.kind = kind;
            this.maxWait = maxWait;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            actual.onSubscribe(new AllocationRequest<>(loop, actual, n, kind, maxWait));
        }

        @Override
        public @Nullable Object scanUnsafe(Attr key) {
            return key == Attr.RUN_STYLE ? Attr.RunStyle.SYNC : null;
        }
    }
}
