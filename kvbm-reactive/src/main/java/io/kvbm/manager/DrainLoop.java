package io.kvbm.manager;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.tokens.SequenceHash;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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

    private static final VarHandle WIP;
    private static final VarHandle INFLIGHT_SHARED;
    private static final VarHandle INFLIGHT_LOOP;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            WIP = lookup.findVarHandle(DrainLoop.class, "wip", int.class);
            INFLIGHT_SHARED = lookup.findVarHandle(DrainLoop.class, "inflightShared", long.class);
            INFLIGHT_LOOP = lookup.findVarHandle(DrainLoop.class, "inflightLoop", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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
    /*
     * Open ImmutableBlock handles = inflightShared + inflightLoop. Handles created or finally released inside the loop
     * (matches, registrations, last references) are counted in inflightLoop with plain opaque writes, a match of N in
     * one add; only changes made outside the loop (a handle's retain(), the close of a reference that is not the
     * last) pay for an atomic add on inflightShared. Each part alone may drift below zero; their sum is exact once
     * the loop and the closing threads are quiet, and a reader never sees a torn value.
     */
    private volatile long inflightShared;
    private long inflightLoop;
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
            if ((int) WIP.getAndAdd(this, 1) == 0) {
                drain(1);
            }
        }
    }

    /** Claims the idle loop with one CAS; the caller then runs its operation inline and MUST {@link #leave()}. */
    boolean tryEnter() {
        return WIP.compareAndSet(this, 0, 1);
    }

    /** Queues {@code op} for the loop's owner, or runs the loop here if it went idle meanwhile. */
    void enqueue(Runnable op) {
        queue.offer(op);
        if ((int) WIP.getAndAdd(this, 1) == 0) {
            drain(1);
        }
    }

    /** Lets go of the loop claimed by {@link #tryEnter()}, first running whatever was queued meanwhile. */
    void leave() {
        int missed = (int) WIP.getAndAdd(this, -1) - 1;
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
            missed = (int) WIP.getAndAdd(this, -missed) - missed;
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

    void internalError(Throwable t) {
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
        ActiveEntry entry = handle.entry;
        if (entry.releaseIfNotLast()) {
            INFLIGHT_SHARED.getAndAdd(this, -1L);
            return;
        }
        if (tryEnter()) {
            try {
                releaseLastInLoop(entry);
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

    /**
     * Closes every handle of {@code handles} as {@code close()} would, in order; those of this manager whose last
     * reference needs the loop are released together in one step of it (one entry and exit, or one queued operation),
     * with every reference after the first such one, and the references before it that are not the last are uncounted
     * with one atomic add. Handles of other managers are closed one by one.
     */
    void closeHandles(Collection<? extends ImmutableBlock> handles) {
        ActiveEntry[] last = null;
        int count = 0;
        long notLast = 0;
        for (ImmutableBlock block : handles) {
            if (!(block instanceof ManagedImmutableBlock) || ((ManagedImmutableBlock) block).owner != this) {
                block.close();
                continue;
            }
            ManagedImmutableBlock handle = (ManagedImmutableBlock) block;
            if (!handle.closeForBatch()) {
                continue; // closed before: close() would do nothing
            }
            // Until a reference needs the loop, those that are not the last drop here at once. From then on every
            // later one is dropped in the loop too, in order: a duplicate's last release also drops its hold on the
            // primary, and a later handle of that primary must see it, as close() one by one would (else the primary
            // would enter the inactive pool at the duplicate's turn, out of order for LRU and FIFO).
            if (count == 0 && handle.entry.releaseIfNotLast()) {
                notLast++;
                continue;
            }
            if (last == null) {
                last = new ActiveEntry[Math.max(1, handles.size())];
            } else if (count == last.length) {
                last = Arrays.copyOf(last, count * 2); // a collection whose size() was stale
            }
            last[count++] = handle.entry;
        }
        if (notLast != 0) {
            INFLIGHT_SHARED.getAndAdd(this, -notLast);
        }
        if (count == 0) {
            return;
        }
        ActiveEntry[] entries = last;
        int n = count;
        if (tryEnter()) {
            try {
                releaseLastInLoop(entries, n);
            } finally {
                leave();
            }
        } else {
            enqueue(() -> releaseLastInLoop(entries, n));
        }
    }

    private void releaseLastInLoop(ActiveEntry[] entries, int n) {
        for (int i = 0; i < n; i++) {
            try {
                releaseLastInLoop(entries[i]);
            } catch (Throwable t) {
                internalError(t); // one broken slot must not strand the rest of the batch
            }
        }
        try {
            servePendingIfAny();
        } catch (Throwable t) {
            internalError(t);
        }
    }

    /** The mutable twin of {@link #closeHandles}: this manager's slots go back to the reset pool in one loop step. */
    void closeMutables(Collection<? extends MutableBlock> blocks) {
        int[] ids = null;
        int count = 0;
        for (MutableBlock block : blocks) {
            if (!(block instanceof ManagedMutableBlock) || ((ManagedMutableBlock) block).owner != this) {
                block.close();
                continue;
            }
            ManagedMutableBlock mutable = (ManagedMutableBlock) block;
            if (!mutable.closeForBatch()) {
                continue;
            }
            if (ids == null) {
                ids = new int[Math.max(1, blocks.size())];
            } else if (count == ids.length) {
                ids = Arrays.copyOf(ids, count * 2);
            }
            ids[count++] = mutable.blockId();
        }
        if (count == 0) {
            return;
        }
        int[] released = ids;
        int n = count;
        if (tryEnter()) {
            try {
                releaseMutablesInLoop(released, n);
            } finally {
                leave();
            }
        } else {
            enqueue(() -> releaseMutablesInLoop(released, n));
        }
    }

    private void releaseMutablesInLoop(int[] ids, int n) {
        for (int i = 0; i < n; i++) {
            try {
                store.releaseMutable(ids[i]);
            } catch (Throwable t) {
                internalError(t);
            }
        }
        try {
            servePendingIfAny();
        } catch (Throwable t) {
            internalError(t);
        }
    }

    /**
     * A handle's reference dropped in the loop (inline or queued): counted here, released in the store, which moves the
     * slot if it was the last (a batch also drops references that are not the last here, see {@link #closeHandles}).
     */
    void releaseLastInLoop(ActiveEntry entry) {
        addInflightLoop(-1);
        store.release(entry);
    }

    /** A new handle, made in the loop, for an entry that already counts the handle's reference (loop only). */
    ManagedImmutableBlock newHandle(ActiveEntry entry) {
        addInflightLoop(1);
        return handle(entry);
    }

    /** A new handle made outside the loop ({@code retain()}), for an entry that already counts its reference. */
    ManagedImmutableBlock retainHandle(ActiveEntry entry) {
        INFLIGHT_SHARED.getAndAdd(this, 1L);
        return handle(entry);
    }

    private void addInflightLoop(long delta) {
        INFLIGHT_LOOP.setOpaque(this, inflightLoop + delta);
    }

    /** A new handle that the caller counts itself (one add for a batch). */
    private ManagedImmutableBlock handle(ActiveEntry entry) {
        return handle(entry, tracks() ? LeakTracker.acquiredHere() : null);
    }

    /**
     * A new handle of a batch, tracked with the batch's acquiring stack if the batch was sampled ({@code stack} from
     * {@link #sampleBatch()}), untracked otherwise.
     */
    ManagedImmutableBlock handle(ActiveEntry entry, @Nullable Throwable stack) {
        ManagedImmutableBlock handle = new ManagedImmutableBlock(this, entry);
        if (stack != null) {
            handle.tracker = LeakTracker.track(handle, this, LeakTracker.IMMUTABLE, entry.blockId, entry, stack);
        }
        return handle;
    }

    /** {@link #newHandle} for one guard of a batch: see {@link #handle(ActiveEntry, Throwable)}. */
    ManagedImmutableBlock newHandle(ActiveEntry entry, @Nullable Throwable stack) {
        addInflightLoop(1);
        return handle(entry, stack);
    }

    ManagedMutableBlock newMutable(int blockId) {
        return newMutable(blockId, tracks() ? LeakTracker.acquiredHere() : null);
    }

    private ManagedMutableBlock newMutable(int blockId, @Nullable Throwable stack) {
        ManagedMutableBlock block = new ManagedMutableBlock(this, blockId);
        if (stack != null) {
            block.tracker = LeakTracker.track(block, this, LeakTracker.MUTABLE, blockId, null, stack);
        }
        return block;
    }

    /**
     * Decides once for a whole batch (a match, an allocation of n, a registration of n) whether its guards are
     * tracked: returns the acquiring stack they all share, or null. Sampling per acquisition instead of per guard
     * keeps the expected share of tracked guards (1 in 128 under SAMPLED) while recording at most one stack per
     * batch: a stack costs about a microsecond, a match of 128 handles used to pay for one on average.
     */
    @Nullable
    Throwable sampleBatch() {
        return tracks() ? LeakTracker.acquiredHere() : null;
    }

    void setEvictOnRelease(int blockId, boolean evict) {
        execute(() -> store.setEvictOnRelease(blockId, evict));
    }

    long inflightImmutable() {
        return (long) INFLIGHT_SHARED.getOpaque(this) + (long) INFLIGHT_LOOP.getOpaque(this);
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
            execute(() -> {
                counters.add(StoreCounters.LEAKED_BLOCKS, 1);
                releaseLastInLoop(entry); // or not the last: store.release decides, the handle is gone either way
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
            request.fail(new ManagerClosedException(id, "allocation of " + request.n() + " block(s)"));
            return;
        }
        purgeCancelledHeads();
        if (request.n() == 0 || (pending.isEmpty() && store.available() >= request.n())) {
            deliver(request);
            return;
        }
        if (request.kind() == AllocationRequest.TRY) {
            request.completeEmpty();
            return;
        }
        if (pending.size() >= maxPending) {
            request.fail(new AllocationPendingLimitException(maxPending, request.n()));
            return;
        }
        pending.addLast(request);
        AllocationRequest.Waiting waiting = request.startWaiting(System.nanoTime()); // immediate ones never read it
        counters.set(StoreCounters.PENDING, pending.size());
        Duration maxWait = waiting.maxWait;
        if (maxWait != null) {
            // The timeout is decided in the loop, like delivery, so the two can never both happen.
            waiting.timer = Schedulers.parallel()
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
            request.timerFired();
            leftLine(request, MetricsRecorder.WaitOutcome.TIMED_OUT);
            Duration maxWait = request.maxWait();
            request.fail(new AllocationTimeoutException(request.n(), maxWait == null ? Duration.ZERO : maxWait));
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
            if (store.available() < head.n()) {
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
        return serve(request, AllocationRequest.REQUESTED);
    }

    /**
     * The first request of a subscription that found the loop idle, run inline by the subscribing thread (loop only).
     * If the request can be served at once, the blocks are taken and committed {@code NEW -> DONE} with one CAS (the
     * {@code NEW -> REQUESTED} step is skipped: the request is never visible to the loop's queue or deque); a cancel
     * that landed meanwhile makes that CAS fail and all n go back, as on the general path. Otherwise it becomes
     * {@code REQUESTED} and takes the general path of {@link #onAllocate}: parked, completed empty or failed.
     */
    void allocateInline(AllocationRequest<?> request) {
        purgeCancelledHeads();
        int n = request.n();
        if (!closed && (n == 0 || (pending.isEmpty() && store.available() >= n))) {
            if (request.isNew()) {
                serve(request, AllocationRequest.NEW);
            }
        } else if (request.markRequested()) {
            onAllocate(request);
        }
        servePendingIfAny();
    }

    /**
     * Takes the request's blocks, then commits the request from state {@code from} ({@code NEW} inline,
     * {@code REQUESTED} otherwise) to {@code DONE} and signals them; a cancel that won meanwhile gets all n put back.
     */
    private MetricsRecorder.WaitOutcome serve(AllocationRequest<?> request, int from) {
        int n = request.n();
        List<SequenceHash> evicted = request.kind() == AllocationRequest.WITH_EVICTIONS ? new ArrayList<>() : null;
        if (n == 1) {
            // The common case gets no arrays: one id in, one guard out.
            int id;
            try {
                id = store.allocateOne(evicted);
            } catch (Throwable t) {
                Exceptions.throwIfJvmFatal(t);
                request.fail(t, from);
                return MetricsRecorder.WaitOutcome.FAILED;
            }
            if (!request.commit(from)) {
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
            request.fail(t, from);
            return MetricsRecorder.WaitOutcome.FAILED;
        }
        if (!request.commit(from)) {
            // Cancelled while we were allocating: the subscriber will never see these blocks, so they go back.
            for (int i = 0; i < n; i++) {
                store.releaseMutable(ids[i]);
            }
            return MetricsRecorder.WaitOutcome.CANCELLED;
        }
        MutableBlock[] blocks = new MutableBlock[n];
        Throwable stack = sampleBatch();
        for (int i = 0; i < n; i++) {
            blocks[i] = newMutable(ids[i], stack);
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
            recorder.recordAllocationWait(leftAt - request.waitingSince(), outcome);
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
            waiting.fail(new ManagerClosedException(id, "waiting allocation of " + waiting.n() + " block(s)"));
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

    /**
     * Emits handles for a prefix match, touching the tracker once per hit (loop only). The open-handle count is
     * raised once for all hits, without an atomic, and the tracker is touched in one batch (one writer-flag CAS for
     * N increments).
     */
    ImmutableBlock[] match(SequenceHash[] hashes) {
        requireOpen("match");
        ImmutableBlock[] found = new ImmutableBlock[hashes.length];
        Throwable stack = sampleBatch();
        int hits = 0;
        try {
            for (; hits < hashes.length; hits++) {
                ActiveEntry entry = store.acquire(hashes[hits]);
                if (entry == null) {
                    break;
                }
                found[hits] = handle(entry, stack);
            }
        } finally {
            addInflightLoop(hits);
        }
        if (hits != 0) {
            List<SequenceHash> touched = Arrays.asList(hashes);
            store.registry.touchAll(hits == hashes.length ? touched : touched.subList(0, hits));
        }
        counters.add(StoreCounters.MATCH_HASHES_REQUESTED, hashes.length);
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
