package io.kvbm.manager;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Exceptions;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;

/**
 * The only way into a manager's {@link BlockStore}: a work-in-progress counter and a multi-producer queue of
 * operations, drained by whichever thread moves the counter from zero (reactor-pool's {@code SimpleDequePool} loop).
 *
 * <h2>Why a drain loop</h2>
 *
 * The store is plain single-threaded code. Rather than guard it with a lock (which would park threads, and which
 * BlockHound rightly rejects on event-loop threads), every operation is run by exactly one thread at a time: a thread
 * that finds the loop idle claims it with one CAS and runs its own operation inline, so the uncontended path costs one
 * CAS and one decrement and a {@code Mono} completes during {@code subscribe}. A thread that finds the loop busy
 * enqueues its operation and returns at once; the owner runs it before letting go. Nobody ever waits for anybody.
 *
 * <h2>Signals</h2>
 *
 * Subscribers are signalled from inside the loop, after the state change of their operation is complete. A subscriber
 * that calls back into the manager from {@code onNext} (closing a block, say) finds the loop busy, so its call is
 * queued and run after the current operation: re-entrant calls are trampolined, never recursed. The price is that a
 * subscriber may be signalled on any thread that happens to own the loop; see the threading notes of
 * {@link BlockManager}.
 *
 * <h2>Pending allocations</h2>
 *
 * Allocations that cannot be served wait in a FIFO deque owned by the loop. After every operation the loop serves the
 * head while it fits; a head that does not fit blocks everyone behind it, which is what makes allocation strictly fair
 * (a waiting {@code allocate(4)} is never overtaken by a later {@code allocate(1)}).
 */
final class DrainLoop {

    private static final Logger LOG = LoggerFactory.getLogger(BlockManager.class);

    private static final AtomicIntegerFieldUpdater<DrainLoop> WIP =
            AtomicIntegerFieldUpdater.newUpdater(DrainLoop.class, "wip");
    private static final AtomicLongFieldUpdater<DrainLoop> INFLIGHT_IMMUTABLE =
            AtomicLongFieldUpdater.newUpdater(DrainLoop.class, "inflightImmutable");

    final long id;
    final BlockStore store;
    final StoreCounters counters;
    final int maxPending;
    final LeakDetection leakDetection;

    private final Queue<Runnable> queue =
            Queues.<Runnable>unboundedMultiproducer().get();
    private final ArrayDeque<AllocationRequest<?>> pending = new ArrayDeque<>();

    /** Set once by the manager right after construction; the loop's event machinery. */
    @Nullable
    ManagerEvents events;

    /**
     * Records how long waiting allocations waited; set by {@code Builder.build()} before the manager is returned.
     * Volatile because it is written after construction; read only when an allocation leaves the line.
     */
    volatile MetricsRecorder recorder = MetricsRecorder.noop();

    private volatile int wip;
    private volatile long inflightImmutable;
    private volatile boolean closed; // written in the loop only; volatile for isClosed()
    private volatile long internalErrors;

    DrainLoop(long id, BlockStore store, int maxPending, LeakDetection leakDetection) {
        this.id = id;
        this.store = store;
        this.counters = store.counters;
        this.maxPending = maxPending;
        this.leakDetection = leakDetection;
    }

    // ---------------------------------------------------------------------------------------------------------
    // the loop

    /** Runs {@code op} in the loop: inline if the loop is idle, otherwise queued for the current owner. */
    void execute(Runnable op) {
        if (WIP.compareAndSet(this, 0, 1)) {
            runOne(op);
            leave();
        } else {
            queue.offer(op);
            if (WIP.getAndIncrement(this) == 0) {
                drain(1);
            }
        }
    }

    private boolean tryEnter() {
        return WIP.compareAndSet(this, 0, 1);
    }

    private void enqueue(Runnable op) {
        queue.offer(op);
        if (WIP.getAndIncrement(this) == 0) {
            drain(1);
        }
    }

    private void leave() {
        int missed = WIP.decrementAndGet(this);
        if (missed != 0) {
            drain(missed);
        }
    }

    private void drain(int missed) {
        for (; ; ) {
            Runnable op;
            while ((op = queue.poll()) != null) {
                runOne(op);
            }
            missed = WIP.addAndGet(this, -missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void runOne(Runnable op) {
        try {
            op.run();
        } catch (Throwable t) {
            internalError(t);
        }
        if (!pending.isEmpty()) {
            try {
                servePending();
            } catch (Throwable t) {
                internalError(t);
            }
        }
    }

    private void internalError(Throwable t) {
        // Even a fatal error is swallowed here: rethrowing would leave the work counter stuck and wedge the manager
        // for every thread; the error is counted (audits fail on it) and logged.
        internalErrors++;
        try {
            LOG.error("kvbm manager {}: internal error in the drain loop", id, t);
        } catch (Throwable ignored) {
            // logging may itself be refused (BlockHound on a non-blocking thread); the counter still records it
        }
    }

    long internalErrors() {
        return internalErrors;
    }

    boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------------------------------------------------
    // guard operations: the hot paths run inline without allocating an operation when the loop is idle

    void releaseMutable(ManagedMutableBlock block) {
        if (tryEnter()) {
            try {
                store.releaseMutable(block.blockId());
                servePendingIfAny();
            } catch (Throwable t) {
                internalError(t);
            } finally {
                leave();
            }
        } else {
            block.releaseQueued = true;
            enqueue(block); // the guard's run() is its release
        }
    }

    CompleteBlock stage(int blockId, SequenceHash hash) {
        ManagedCompleteBlock block = new ManagedCompleteBlock(this, blockId, hash);
        if (tracks()) {
            block.tracker = LeakTracker.track(block, this, LeakTracker.COMPLETE, blockId, null);
        }
        if (tryEnter()) {
            try {
                store.stage(blockId, hash);
            } catch (Throwable t) {
                internalError(t);
            } finally {
                leave();
            }
        } else {
            enqueue(() -> store.stage(blockId, hash));
        }
        return block;
    }

    MutableBlock unstage(int blockId) {
        ManagedMutableBlock block = newMutable(blockId);
        execute(() -> store.unstage(blockId));
        return block;
    }

    void releaseStaged(int blockId) {
        execute(() -> store.releaseStaged(blockId));
    }

    /** Releases one handle's reference; only the last reference needs the loop. */
    void releaseHandle(ManagedImmutableBlock handle) {
        INFLIGHT_IMMUTABLE.decrementAndGet(this);
        ActiveEntry entry = handle.entry;
        if (entry.releaseIfNotLast()) {
            return;
        }
        if (tryEnter()) {
            try {
                store.release(entry);
                servePendingIfAny();
            } catch (Throwable t) {
                internalError(t);
            } finally {
                leave();
            }
        } else {
            handle.releaseQueued = true;
            enqueue(handle); // the handle's run() releases its entry's last reference
        }
    }

    /** A new handle for an entry that already counts the handle's reference. */
    ManagedImmutableBlock newHandle(ActiveEntry entry) {
        INFLIGHT_IMMUTABLE.incrementAndGet(this);
        ManagedImmutableBlock handle = new ManagedImmutableBlock(this, entry);
        if (tracks()) {
            handle.tracker = LeakTracker.track(handle, this, LeakTracker.IMMUTABLE, entry.blockId, entry);
        }
        return handle;
    }

    ManagedMutableBlock newMutable(int blockId) {
        ManagedMutableBlock block = new ManagedMutableBlock(this, blockId);
        if (tracks()) {
            block.tracker = LeakTracker.track(block, this, LeakTracker.MUTABLE, blockId, null);
        }
        return block;
    }

    void setEvictOnRelease(int blockId, boolean evict) {
        execute(() -> store.setEvictOnRelease(blockId, evict));
    }

    long inflightImmutable() {
        return inflightImmutable;
    }

    private boolean tracks() {
        switch (leakDetection) {
            case PARANOID:
                return true;
            case SAMPLED:
                return ThreadLocalRandom.current().nextInt(128) == 0;
            default:
                return false;
        }
    }

    /** Called on the cleaner's thread for a guard that was collected while live. */
    void onLeak(int kind, int blockId, @Nullable ActiveEntry entry, Throwable acquiredAt) {
        // Log here, on the cleaner's thread: the loop may run on a non-blocking thread where I/O is forbidden.
        try {
            LOG.warn(
                    "kvbm manager {} ({}): a {} of block {} was garbage collected without close(); "
                            + "its block is returned to the pool",
                    id,
                    store.tier,
                    kind == LeakTracker.MUTABLE
                            ? "MutableBlock"
                            : kind == LeakTracker.COMPLETE ? "CompleteBlock" : "ImmutableBlock handle",
                    blockId,
                    acquiredAt);
        } catch (Throwable ignored) {
            // never let logging stop the release
        }
        if (kind == LeakTracker.IMMUTABLE && entry != null) {
            INFLIGHT_IMMUTABLE.decrementAndGet(this);
            execute(() -> {
                counters.add(StoreCounters.LEAKED_BLOCKS, 1);
                store.release(entry);
            });
        } else if (kind == LeakTracker.COMPLETE) {
            execute(() -> {
                counters.add(StoreCounters.LEAKED_BLOCKS, 1);
                store.releaseStaged(blockId);
            });
        } else {
            execute(() -> {
                counters.add(StoreCounters.LEAKED_BLOCKS, 1);
                store.releaseMutable(blockId);
            });
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // allocation (loop only)

    void onAllocate(AllocationRequest<?> request) {
        if (!request.isRequested()) {
            return; // cancelled before its turn: takes nothing
        }
        if (closed) {
            request.fail(new ManagerClosedException(id, "allocation of " + request.n + " block(s)"));
            return;
        }
        purgeCancelledHeads();
        if (request.n == 0 || (pending.isEmpty() && store.available() >= request.n)) {
            deliver(request);
            return;
        }
        if (request.kind == AllocationRequest.TRY) {
            request.completeEmpty();
            return;
        }
        if (pending.size() >= maxPending) {
            request.fail(new AllocationPendingLimitException(maxPending, request.n));
            return;
        }
        pending.addLast(request);
        request.waitingSince = System.nanoTime(); // the waiting path only: immediate allocations never read the clock
        counters.set(StoreCounters.PENDING, pending.size());
        Duration maxWait = request.maxWait;
        if (maxWait != null) {
            // The timeout is decided in the loop, like delivery, so the two can never both happen.
            request.timer = Schedulers.parallel()
                    .schedule(() -> execute(() -> onTimeout(request)), maxWait.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** Drops waiters cancelled at the head whose removal has not run yet, so they neither block nor count. */
    private void purgeCancelledHeads() {
        AllocationRequest<?> head;
        while ((head = pending.peekFirst()) != null && !head.isRequested()) {
            pending.pollFirst();
            head.stopTimer();
            leftLine(head, MetricsRecorder.WaitOutcome.CANCELLED);
        }
    }

    void onCancel(AllocationRequest<?> request) {
        request.stopTimer();
        if (pending.remove(request)) {
            counters.set(StoreCounters.PENDING, pending.size());
            leftLine(request, MetricsRecorder.WaitOutcome.CANCELLED);
        }
    }

    private void onTimeout(AllocationRequest<?> request) {
        if (pending.remove(request)) {
            counters.set(StoreCounters.PENDING, pending.size());
            request.timer = null;
            leftLine(request, MetricsRecorder.WaitOutcome.TIMED_OUT);
            Duration maxWait = request.maxWait;
            request.fail(new AllocationTimeoutException(request.n, maxWait == null ? Duration.ZERO : maxWait));
        }
    }

    private void servePendingIfAny() {
        if (!pending.isEmpty()) {
            servePending();
        }
    }

    private void servePending() {
        AllocationRequest<?> head;
        while ((head = pending.peekFirst()) != null) {
            if (!head.isRequested()) {
                pending.pollFirst();
                head.stopTimer();
                leftLine(head, MetricsRecorder.WaitOutcome.CANCELLED);
                continue;
            }
            if (store.available() < head.n) {
                break;
            }
            pending.pollFirst();
            head.stopTimer();
            long leftAt = System.nanoTime(); // before delivery: the wait ends where the subscriber's onNext begins
            leftLine(head, deliver(head), leftAt);
        }
        counters.set(StoreCounters.PENDING, pending.size());
    }

    /** Hands blocks to the request, or gives them back if it was cancelled meanwhile; returns what happened. */
    private MetricsRecorder.WaitOutcome deliver(AllocationRequest<?> request) {
        if (!request.isRequested()) {
            return MetricsRecorder.WaitOutcome.CANCELLED; // cancelled: take nothing
        }
        int n = request.n;
        List<SequenceHash> evicted = request.kind == AllocationRequest.WITH_EVICTIONS ? new ArrayList<>() : null;
        if (n == 1) {
            // The common case gets no arrays: one id in, one guard out.
            int id;
            try {
                id = store.allocateOne(evicted);
            } catch (Throwable t) {
                Exceptions.throwIfJvmFatal(t);
                request.fail(t);
                return MetricsRecorder.WaitOutcome.FAILED;
            }
            if (!request.commit()) {
                store.releaseMutable(id); // cancelled while we were taking it
                return MetricsRecorder.WaitOutcome.CANCELLED;
            }
            request.emitOne(newMutable(id), evicted);
            return MetricsRecorder.WaitOutcome.ACQUIRED;
        }
        int[] ids = new int[n];
        try {
            store.allocate(n, ids, evicted);
        } catch (Throwable t) {
            Exceptions.throwIfJvmFatal(t);
            request.fail(t);
            return MetricsRecorder.WaitOutcome.FAILED;
        }
        if (!request.commit()) {
            // Cancelled while we were allocating: the subscriber will never see these blocks, so they go back.
            for (int i = 0; i < n; i++) {
                store.releaseMutable(ids[i]);
            }
            return MetricsRecorder.WaitOutcome.CANCELLED;
        }
        MutableBlock[] blocks = new MutableBlock[n];
        for (int i = 0; i < n; i++) {
            blocks[i] = newMutable(ids[i]);
        }
        request.emit(blocks, evicted);
        return MetricsRecorder.WaitOutcome.ACQUIRED;
    }

    /**
     * Reports a waiting allocation leaving the line, exactly once: every exit from {@code pending} goes through here.
     * A failing recorder is ignored, so metrics can never strand a request half-served.
     */
    private void leftLine(AllocationRequest<?> request, MetricsRecorder.WaitOutcome outcome) {
        leftLine(request, outcome, System.nanoTime());
    }

    private void leftLine(AllocationRequest<?> request, MetricsRecorder.WaitOutcome outcome, long leftAt) {
        try {
            recorder.recordAllocationWait(leftAt - request.waitingSince, outcome);
        } catch (Throwable t) {
            Exceptions.throwIfJvmFatal(t);
        }
    }

    /** Fails every waiting allocation and drops the inactive pool (loop only). */
    void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        store.close();
        AllocationRequest<?> waiting;
        while ((waiting = pending.pollFirst()) != null) {
            waiting.stopTimer();
            leftLine(waiting, MetricsRecorder.WaitOutcome.FAILED);
            waiting.fail(new ManagerClosedException(id, "waiting allocation of " + waiting.n + " block(s)"));
        }
        counters.set(StoreCounters.PENDING, 0);
        store.resetInactive();
        ManagerEvents e = events;
        if (e != null) {
            e.shutdown();
        }
    }

    void requireOpen(String operation) {
        if (closed) {
            throw new ManagerClosedException(id, operation);
        }
    }

    /** Emits handles for a prefix match, touching the tracker once per hit (loop only). */
    ImmutableBlock[] match(List<SequenceHash> hashes) {
        requireOpen("match");
        ImmutableBlock[] found = new ImmutableBlock[hashes.size()];
        int hits = 0;
        for (SequenceHash hash : hashes) {
            ActiveEntry entry = store.acquire(hash);
            if (entry == null) {
                break;
            }
            found[hits++] = newHandle(entry);
        }
        for (int i = 0; i < hits; i++) {
            store.registry.touch(found[i].sequenceHash());
        }
        counters.add(StoreCounters.MATCH_HASHES_REQUESTED, hashes.size());
        counters.add(StoreCounters.MATCH_BLOCKS_RETURNED, hits);
        if (hits == found.length) {
            return found;
        }
        ImmutableBlock[] prefix = new ImmutableBlock[hits];
        System.arraycopy(found, 0, prefix, 0, hits);
        return prefix;
    }

    @Override
    public String toString() {
        return "DrainLoop[manager=" + id + ", wip=" + wip + ", queued=" + queue.size() + "]";
    }
}
