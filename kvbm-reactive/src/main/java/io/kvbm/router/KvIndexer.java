package io.kvbm.router;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;

/**
 * A router-side index of which worker holds which hashes, built from the event batches of many workers: it answers
 * "how much of this request's prefix does each worker already hold?" (Dynamo's KV indexer and its overlap scores).
 *
 * <h2>What it keeps</h2>
 *
 * One view per (worker, tier): the worker is the batch's {@code instanceId}, and tiers are kept apart, so a hash held
 * on G2 does not count as held on G1. A {@link EventKind#STORED} batch adds its hashes to the view,
 * {@link EventKind#REMOVED} and {@link EventKind#CLEARED} remove them, a {@link EventKind#SHUTDOWN} forgets the view
 * (the worker's manager is gone). An inverted index from hash to the (worker, tier) pairs holding it makes
 * {@link #findMatches} cost O(query length × workers holding its first hash) with an early exit.
 *
 * <h2>Gaps and snapshots</h2>
 *
 * Transports deliver at most once, so the index checks every batch's {@code seq} against the last one it applied for
 * that (worker, tier):
 *
 * <ul>
 *   <li>{@code seq == last + 1}: the next batch; applied.
 *   <li>{@code seq <= last}: a batch from before the last snapshot or a duplicate; ignored (counted as stale).
 *   <li>{@code seq > last + 1}: batches were lost. The batch is applied anyway (best effort), the tier is marked
 *       unsynced, and a {@link ResyncRequest} is emitted on {@link #resyncRequests()}.
 *   <li>A live batch from a (worker, tier) the index has no snapshot of is handled like a gap (reason
 *       {@link ResyncRequest.Reason#UNKNOWN}): nothing says what the tier held before it.
 *   <li>A snapshot (a {@link EventBatch#startsSnapshot() hash-less CLEARED batch} followed by STORED batches with the
 *       same {@code seq}) replaces the view and its {@code seq}, whatever came before: the tier is synced again.
 * </ul>
 *
 * An unanswered request is repeated ({@link ResyncRequest.Reason#RETRY}) every
 * {@link Builder#resyncRetryInterval(Duration) resync retry interval} until a snapshot arrives, because the request or
 * the snapshot may themselves be lost. A loss of the <em>last</em> batches a worker sends is noticed only when its next
 * batch arrives.
 *
 * <h2>Threading and consistency</h2>
 *
 * Thread-safe and non-blocking. {@link #apply} may be called from any number of transport threads at once: batches
 * are applied one at a time by a drain loop (the thread that finds it idle applies its batch inline and whatever
 * others queued meanwhile; the others return at once), in the order they were submitted, so batches of one worker
 * stay in the order its transport delivered them. Resync requests are emitted from that loop. Reads
 * ({@link #findMatches}, {@link #workersHolding}, {@link #hashes}) never wait: they see every batch applied before they
 * started and none applied after they finished; a batch applied <em>while</em> they run may be partly visible (each
 * hash's holders change atomically, a batch's hashes one after the other). The index is therefore eventually
 * consistent: once a worker's stream is quiet and its tier synced, reads return exactly what the worker holds.
 */
public final class KvIndexer implements Disposable {

    private static final Logger LOG = LoggerFactory.getLogger(KvIndexer.class);

    private static final AtomicIntegerFieldUpdater<KvIndexer> WIP =
            AtomicIntegerFieldUpdater.newUpdater(KvIndexer.class, "wip");

    private static final Key[] NONE = new Key[0];
    private static final Object TICK = new Object();

    /**
     * Returns a builder with the defaults: resync retry every second on {@link Schedulers#parallel()}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns an indexer with the defaults of {@link #builder()}.
     *
     * @return a new indexer
     */
    public static KvIndexer create() {
        return builder().build();
    }

    private final Scheduler scheduler;
    private final long retryMillis;

    /** hash -> the (worker, tier) pairs holding it; copy-on-write arrays written by the drain loop only. */
    private final ConcurrentHashMap<SequenceHash, Key[]> index = new ConcurrentHashMap<>();

    private final ConcurrentHashMap<Key, View> views = new ConcurrentHashMap<>();
    private final Queue<Object> queue = Queues.unboundedMultiproducer().get();
    private final Sinks.Many<ResyncRequest> resyncs = Sinks.many().multicast().directBestEffort();
    private final Disposable.Composite resources = Disposables.composite();

    private volatile int wip;

    // written by the drain loop only, read anywhere
    private volatile long batchesApplied;
    private volatile long staleBatches;
    private volatile long gaps;
    private volatile long resyncRequests;
    private volatile long snapshots;

    private KvIndexer(Builder builder) {
        this.scheduler = builder.scheduler;
        this.retryMillis = builder.retryInterval.toMillis();
        resources.add(
                scheduler.schedulePeriodically(() -> submit(TICK), retryMillis, retryMillis, TimeUnit.MILLISECONDS));
    }

    // ---------------------------------------------------------------------------------------------------------
    // writing

    /**
     * Applies one batch (see the class documentation for what each kind and {@code seq} does).
     *
     * <p>Non-blocking, from any thread: the batch is applied before this method returns if no other thread is applying
     * batches, otherwise by that thread shortly after; batches are applied in the order of the calls.
     *
     * @param batch the batch
     */
    public void apply(EventBatch batch) {
        submit(Objects.requireNonNull(batch, "batch"));
    }

    /**
     * Applies every batch of {@code batches}, as they arrive.
     *
     * <p>Subscribes at once, requesting everything; batches are applied as by {@link #apply}. An error of the stream
     * is logged and ends this consumption only. The subscription ends when the stream ends, when the returned
     * {@link Disposable} is disposed, or when this indexer is.
     *
     * @param batches the batches of one or more workers, for example decoded from a transport
     * @return a handle that stops the consumption
     */
    public Disposable consume(Publisher<EventBatch> batches) {
        Objects.requireNonNull(batches, "batches");
        Disposable subscription = Flux.from(batches)
                .subscribe(this::apply, e -> LOG.warn("an event stream consumed by the KvIndexer failed", e));
        resources.add(subscription);
        return subscription;
    }

    /**
     * Forgets everything about a worker, on every tier (for example when service discovery says it is gone without
     * having sent its {@link EventKind#SHUTDOWN}). Non-blocking, ordered with {@link #apply} like a batch.
     *
     * @param instanceId the worker
     */
    public void removeWorker(long instanceId) {
        submit(new RemoveWorker(instanceId));
    }

    /**
     * Returns the hot stream of resync requests.
     *
     * <p>Each request names a (worker, tier) whose view is not exact and asks its publisher for a snapshot; a transport
     * bridge forwards them to the workers. Multicast, best effort: a subscriber that is not subscribed or has no demand
     * when a request is emitted misses it, but an unanswered request is repeated every retry interval. Requests are
     * emitted on the thread applying batches or on the retry timer's. Never completes before {@link #dispose()}.
     *
     * @return the resync requests
     */
    public Flux<ResyncRequest> resyncRequests() {
        return resyncs.asFlux();
    }

    // ---------------------------------------------------------------------------------------------------------
    // reading

    /**
     * Returns, per worker and tier, how many leading hashes of {@code hashes} it holds (Dynamo's overlap score).
     *
     * <p>Non-blocking; see the class documentation for what a read sees while batches are being applied.
     *
     * @param hashes a request's block hashes, in order
     * @return the scores
     */
    public OverlapScores findMatches(List<SequenceHash> hashes) {
        Objects.requireNonNull(hashes, "hashes");
        Map<Key, Integer> scores = new HashMap<>();
        if (!hashes.isEmpty()) {
            Set<Key> active = new HashSet<>(Arrays.asList(holders(hashes.get(0))));
            for (int i = 1; i < hashes.size() && !active.isEmpty(); i++) {
                Set<Key> next = new HashSet<>(Arrays.asList(holders(hashes.get(i))));
                for (Key key : active) {
                    if (!next.contains(key)) {
                        scores.put(key, i); // held hashes 0..i-1, not i
                    }
                }
                active.retainAll(next);
            }
            for (Key key : active) {
                scores.put(key, hashes.size());
            }
        }
        Map<StorageTier, Map<Long, Integer>> byTier = new EnumMap<>(StorageTier.class);
        scores.forEach((key, score) ->
                byTier.computeIfAbsent(key.tier, t -> new HashMap<>()).put(key.instanceId, score));
        return new OverlapScores(hashes.size(), byTier);
    }

    /**
     * Returns the workers holding {@code hash} on any tier.
     *
     * @param hash the hash
     * @return an unmodifiable set of worker ids; a snapshot
     */
    public Set<Long> workersHolding(SequenceHash hash) {
        Set<Long> workers = new HashSet<>();
        for (Key key : holders(hash)) {
            workers.add(key.instanceId);
        }
        return Collections.unmodifiableSet(workers);
    }

    /**
     * Returns the workers holding {@code hash} on {@code tier}.
     *
     * @param hash the hash
     * @param tier the tier
     * @return an unmodifiable set of worker ids; a snapshot
     */
    public Set<Long> workersHolding(SequenceHash hash, StorageTier tier) {
        Objects.requireNonNull(tier, "tier");
        Set<Long> workers = new HashSet<>();
        for (Key key : holders(hash)) {
            if (key.tier == tier) {
                workers.add(key.instanceId);
            }
        }
        return Collections.unmodifiableSet(workers);
    }

    /**
     * Returns the index's view of what a worker's tier holds.
     *
     * @param instanceId the worker
     * @param tier the tier
     * @return an unmodifiable copy, empty for an unknown worker or tier
     */
    public Set<SequenceHash> hashes(long instanceId, StorageTier tier) {
        View view = views.get(new Key(instanceId, tier));
        return view == null ? Set.of() : Set.copyOf(view.held);
    }

    /**
     * Returns the workers the index has a view of, on any tier.
     *
     * @return an unmodifiable set of worker ids; a snapshot
     */
    public Set<Long> workers() {
        Set<Long> workers = new HashSet<>();
        for (Key key : views.keySet()) {
            workers.add(key.instanceId);
        }
        return Collections.unmodifiableSet(workers);
    }

    /**
     * Returns whether the view of a worker's tier is exact as far as the index can tell: it was built from a snapshot
     * and every batch since arrived in order.
     *
     * @param instanceId the worker
     * @param tier the tier
     * @return {@code false} for an unknown (worker, tier) and while a resync is outstanding
     */
    public boolean isSynced(long instanceId, StorageTier tier) {
        View view = views.get(new Key(instanceId, tier));
        return view != null && !view.awaiting;
    }

    /**
     * Returns the {@code seq} of the last batch applied in order for a worker's tier.
     *
     * @param instanceId the worker
     * @param tier the tier
     * @return the seq (−1 after a snapshot of a manager that had emitted nothing), empty for an unknown (worker, tier)
     */
    public OptionalLong lastSeq(long instanceId, StorageTier tier) {
        View view = views.get(new Key(instanceId, tier));
        return view == null ? OptionalLong.empty() : OptionalLong.of(view.lastSeq);
    }

    /**
     * Returns the indexer's counters.
     *
     * @return a snapshot of the counters
     */
    public Stats stats() {
        return new Stats(batchesApplied, staleBatches, gaps, resyncRequests, snapshots);
    }

    /**
     * Stops the retry timer, every {@link #consume} subscription and the {@link #resyncRequests()} stream (which
     * completes). The views stay readable. Idempotent, like {@link Disposable#dispose()}.
     */
    @Override
    public void dispose() {
        resources.dispose();
        resyncs.tryEmitComplete();
    }

    @Override
    public boolean isDisposed() {
        return resources.isDisposed();
    }

    /**
     * The counters of a {@link KvIndexer}.
     *
     * @param batchesApplied batches applied to a view (snapshot batches included)
     * @param staleBatches batches ignored because their {@code seq} was not after the last applied one
     * @param gaps batches whose {@code seq} skipped at least one, and live batches from unknown workers
     * @param resyncRequests resync requests emitted, retries included
     * @param snapshots snapshots that started (hash-less {@code CLEARED} batches)
     */
    public record Stats(long batchesApplied, long staleBatches, long gaps, long resyncRequests, long snapshots) {}

    // ---------------------------------------------------------------------------------------------------------
    // the drain loop

    private Key[] holders(SequenceHash hash) {
        Key[] keys = index.get(Objects.requireNonNull(hash, "hash"));
        return keys == null ? NONE : keys;
    }

    private void submit(Object item) {
        queue.offer(item);
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        for (; ; ) {
            for (Object next; (next = queue.poll()) != null; ) {
                try {
                    run(next);
                } catch (RuntimeException e) {
                    // a bug here must not wedge the loop for every other worker
                    LOG.error("KvIndexer failed to apply {}", next, e);
                }
            }
            missed = WIP.addAndGet(this, -missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private void run(Object item) {
        if (item instanceof EventBatch) {
            onBatch((EventBatch) item);
        } else if (item == TICK) {
            retryUnanswered();
        } else if (item instanceof RemoveWorker) {
            long worker = ((RemoveWorker) item).instanceId;
            for (Key key : new ArrayList<>(views.keySet())) {
                if (key.instanceId == worker) {
                    forget(key);
                }
            }
        }
    }

    private void onBatch(EventBatch batch) {
        Key key = new Key(batch.instanceId(), batch.tier());
        View view = views.get(key);
        if (batch.startsSnapshot()) {
            if (view == null) {
                view = new View();
                views.put(key, view);
            }
            clear(key, view);
            view.lastSeq = batch.seq();
            view.inSnapshot = true;
            view.awaiting = false;
            snapshots++;
            batchesApplied++;
            return;
        }
        if (batch.kind() == EventKind.SHUTDOWN) {
            if (view != null) {
                forget(key);
            }
            batchesApplied++;
            return;
        }
        if (view == null) {
            view = new View();
            views.put(key, view);
            view.lastSeq = batch.seq();
            change(key, view, batch);
            gaps++;
            request(key, view, batch.seq(), ResyncRequest.Reason.UNKNOWN);
            return;
        }
        if (view.inSnapshot && batch.seq() == view.lastSeq && batch.kind() == EventKind.STORED) {
            change(key, view, batch); // the content of the snapshot being applied
            return;
        }
        view.inSnapshot = false;
        if (batch.seq() <= view.lastSeq) {
            staleBatches++;
            return;
        }
        if (batch.seq() != view.lastSeq + 1) {
            gaps++;
            if (!view.awaiting) {
                request(key, view, batch.seq(), ResyncRequest.Reason.GAP);
            }
        }
        view.lastSeq = batch.seq();
        change(key, view, batch);
    }

    private void change(Key key, View view, EventBatch batch) {
        batchesApplied++;
        if (batch.kind() == EventKind.STORED) {
            for (SequenceHash hash : batch.hashes()) {
                if (view.held.add(hash)) {
                    addHolder(hash, key);
                }
            }
        } else if (batch.kind().removes()) {
            for (SequenceHash hash : batch.hashes()) {
                if (view.held.remove(hash)) {
                    removeHolder(hash, key);
                }
            }
        }
    }

    private void request(Key key, View view, long receivedSeq, ResyncRequest.Reason reason) {
        view.awaiting = true;
        view.requestedAtMillis = scheduler.now(TimeUnit.MILLISECONDS);
        long lastApplied = reason == ResyncRequest.Reason.UNKNOWN ? -1 : view.lastSeq;
        ResyncRequest request = new ResyncRequest(key.instanceId, key.tier, lastApplied, receivedSeq, reason);
        resyncRequests++;
        LOG.debug("requesting a resync: {}", request);
        resyncs.tryEmitNext(request); // best effort: the retry timer repeats it until a snapshot arrives
    }

    private void retryUnanswered() {
        long now = scheduler.now(TimeUnit.MILLISECONDS);
        views.forEach((key, view) -> {
            if (view.awaiting && now - view.requestedAtMillis >= retryMillis) {
                request(key, view, -1, ResyncRequest.Reason.RETRY);
            }
        });
    }

    private void forget(Key key) {
        View view = views.remove(key);
        if (view != null) {
            clear(key, view);
        }
    }

    private void clear(Key key, View view) {
        for (SequenceHash hash : view.held) {
            removeHolder(hash, key);
        }
        view.held.clear();
    }

    private void addHolder(SequenceHash hash, Key key) {
        Key[] current = index.get(hash);
        if (current == null) {
            index.put(hash, new Key[] {key});
        } else {
            Key[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = key;
            index.put(hash, next);
        }
    }

    private void removeHolder(SequenceHash hash, Key key) {
        Key[] current = index.get(hash);
        if (current == null) {
            return;
        }
        int at = Arrays.asList(current).indexOf(key);
        if (at < 0) {
            return;
        }
        if (current.length == 1) {
            index.remove(hash);
            return;
        }
        Key[] next = new Key[current.length - 1];
        System.arraycopy(current, 0, next, 0, at);
        System.arraycopy(current, at + 1, next, at, current.length - at - 1);
        index.put(hash, next);
    }

    /** A (worker, tier) pair. */
    private record Key(long instanceId, StorageTier tier) {}

    private record RemoveWorker(long instanceId) {}

    /** The view of one (worker, tier); fields written by the drain loop only. */
    private static final class View {
        /** Concurrent so that {@link #hashes} can copy it while the loop changes it. */
        final Set<SequenceHash> held = ConcurrentHashMap.newKeySet();

        volatile long lastSeq;
        volatile boolean awaiting;
        boolean inSnapshot;
        long requestedAtMillis;
    }

    /** Configures a {@link KvIndexer}. Not thread-safe. */
    public static final class Builder {

        private Duration retryInterval = Duration.ofSeconds(1);
        private Scheduler scheduler = Schedulers.parallel();

        private Builder() {}

        /**
         * Sets how long an unanswered resync request waits before it is repeated. Default 1 s.
         *
         * @param interval at least 1 ms
         * @return this builder
         * @throws IllegalArgumentException if shorter than 1 ms
         */
        public Builder resyncRetryInterval(Duration interval) {
            Objects.requireNonNull(interval, "resyncRetryInterval");
            if (interval.toMillis() < 1) {
                throw new IllegalArgumentException("resyncRetryInterval must be at least 1 ms, got " + interval);
            }
            this.retryInterval = interval;
            return this;
        }

        /**
         * Sets the scheduler of the retry timer and of its clock. Default {@link Schedulers#parallel()}; tests pass a
         * {@code VirtualTimeScheduler}.
         *
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * Builds the indexer and starts its retry timer; {@link KvIndexer#dispose()} stops it.
         *
         * @return a new indexer
         */
        public KvIndexer build() {
            return new KvIndexer(this);
        }
    }

    @Override
    public String toString() {
        return "KvIndexer[views=" + views.size() + ", hashes=" + index.size() + ", " + stats() + "]";
    }
}
