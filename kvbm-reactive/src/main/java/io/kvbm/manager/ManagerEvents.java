package io.kvbm.manager;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EmissionPolicy;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.internal.BatchAccumulator;
import io.kvbm.internal.EventBroadcaster;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;

/**
 * A manager's event stream: turns the store's transitions into {@link EventBatch}es and fans them out to subscribers.
 *
 * <p>Everything here runs in the drain loop: the store reports transitions as they happen, the accumulator closes
 * batches on kind switch and size, and a periodic tick (a timer on the event scheduler that only <em>enqueues</em> a
 * flush into the loop) closes the open batch every window. So batches are numbered and emitted by one thread at a
 * time, subscribers never see concurrent signals from the producer side, and a snapshot can be taken between two
 * batches. While nobody listens, transitions are not even accumulated: the hot path pays one array-length read.
 */
final class ManagerEvents implements StoreEvents {

    private final DrainLoop loop;
    private final EmissionPolicy policy;
    private final Scheduler scheduler;
    private final Duration window;
    private final BatchAccumulator batches;
    private final EventBroadcaster<EventBatch> subscribers;
    private final Runnable tick = this::onTick;
    private @Nullable Disposable timer;
    private boolean shutdown;

    ManagerEvents(
            DrainLoop loop,
            long instanceId,
            StorageTier tier,
            EmissionPolicy policy,
            int maxBatchSize,
            Duration window,
            Scheduler scheduler,
            int bufferSize) {
        this.loop = loop;
        this.policy = policy;
        this.scheduler = scheduler;
        this.window = window;
        this.subscribers = new EventBroadcaster<>(
                bufferSize, EventBatch::weight, () -> loop.counters.add(StoreCounters.EVENT_SUBSCRIBERS_DROPPED, 1));
        this.batches = new BatchAccumulator(
                instanceId, tier, maxBatchSize, () -> scheduler.now(TimeUnit.MILLISECONDS), subscribers::emit);
    }

    private boolean listening() {
        return subscribers.subscriberCount() != 0;
    }

    @Override
    public void stored(SequenceHash hash) {
        if (listening() && policy.shouldEmit(hash)) {
            batches.add(EventKind.STORED, hash);
        }
    }

    @Override
    public void removed(SequenceHash hash) {
        if (listening() && policy.shouldEmit(hash)) {
            batches.add(EventKind.REMOVED, hash);
        }
    }

    @Override
    public void cleared(SequenceHash hash) {
        if (listening() && policy.shouldEmit(hash)) {
            batches.add(EventKind.CLEARED, hash);
        }
    }

    /** Returns a subscription that buffers until {@link #attach} connects it in the loop. */
    Subscription prepare(reactor.core.CoreSubscriber<? super EventBatch> actual) {
        return subscribers.prepare(actual);
    }

    /**
     * Connects a subscriber (loop only). The open batch is closed first, so the new subscriber starts at a batch
     * boundary; with a snapshot, it first receives the content restated as of that boundary.
     */
    void attach(Subscription subscription, @Nullable List<SequenceHash> snapshotContent) {
        batches.flush();
        List<EventBatch> prefill = List.of();
        if (snapshotContent != null) {
            List<SequenceHash> emitted = new java.util.ArrayList<>(snapshotContent.size());
            for (SequenceHash hash : snapshotContent) {
                if (policy.shouldEmit(hash)) {
                    emitted.add(hash);
                }
            }
            prefill = batches.snapshot(emitted);
        }
        subscribers.attach(subscription, prefill);
        if (!shutdown && timer == null && listening()) {
            timer = scheduler.schedulePeriodically(
                    () -> loop.execute(tick), window.toNanos(), window.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void onTick() {
        if (listening()) {
            batches.flush();
        } else {
            batches.discard(); // nobody to tell: stop paying for a timer until someone subscribes again
            stopTimer();
        }
    }

    /** Closes the open batch now (loop only). */
    void flush() {
        batches.flush();
    }

    /** Emits what is pending and the SHUTDOWN batch, then completes every subscriber (loop only). */
    void shutdown() {
        if (shutdown) {
            return;
        }
        shutdown = true;
        stopTimer();
        if (listening()) {
            batches.emitControl(EventKind.SHUTDOWN);
        }
        subscribers.complete();
    }

    private void stopTimer() {
        Disposable t = timer;
        timer = null;
        if (t != null) {
            t.dispose();
        }
    }
}
