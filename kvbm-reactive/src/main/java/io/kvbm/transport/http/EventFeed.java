package io.kvbm.transport.http;

import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.internal.EventBroadcaster;
import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;

/**
 * One manager's event stream as the HTTP server serves it: a single subscription to the manager, a replay ring of its
 * last batches, a mirror of what the tier holds, and a fan-out to any number of SSE clients.
 *
 * <h2>Why a feed between the manager and the clients</h2>
 *
 * A client that reconnects with {@code Last-Event-ID: s} must receive exactly the batches after {@code s} and then
 * the live ones: the replay and the live stream have to be joined at one instant. The feed makes that instant: every
 * change to its state (a batch from the manager, a client attaching) runs one at a time in its own drain loop (the
 * manager's work-in-progress pattern: whoever moves the counter from zero runs the queue, nobody waits), so a client
 * is attached between two batches, gets the ring's frames after {@code s} as its prefill, and every later batch live.
 * A client without a usable {@code s} gets a snapshot instead, built from the feed's mirror of the tier (the set of
 * hashes the batches say it holds) as of the same instant. The manager itself sees one subscriber per feed, however
 * many HTTP clients there are.
 *
 * <h2>The mirror and "settled"</h2>
 *
 * The feed subscribes with {@link BlockManager#eventsWithSnapshot()}, so its mirror starts from the manager's own
 * snapshot: a hash-less {@code CLEARED} batch, then {@code STORED} batches, all carrying the same {@code seq}, then the
 * live batches. Nothing marks the end of that initial snapshot, so until the first live batch arrives the feed cannot
 * tell whether its mirror is complete. Until then it is <em>unsettled</em>: snapshots it hands out carry no
 * {@code id} (a client cut off can only start over with a new snapshot), and the rest of the initial snapshot is
 * forwarded to the clients already attached (a {@code STORED} batch with the snapshot's {@code seq}, which the
 * consumer rule of {@code docs/events.md} applies as part of the snapshot). The first live batch settles the feed.
 *
 * <h2>Slow clients</h2>
 *
 * Each client has its own buffer of {@code clientBufferSize} events ({@link EventBroadcaster}); a client that falls
 * further behind is terminated with {@link io.kvbm.event.EventStreamOverflowException}, which closes its connection,
 * and nobody else is affected. Prefill frames do not count against the buffer (see {@link Frame#replay()}).
 */
final class EventFeed implements CoreSubscriber<EventBatch> {

    /** {@code Last-Event-ID} absent: the client wants a snapshot. */
    static final long NO_ID = Long.MIN_VALUE;

    private static final Comparator<SequenceHash> BY_POSITION = Comparator.comparingInt(SequenceHash::position);

    private static final AtomicIntegerFieldUpdater<EventFeed> WIP =
            AtomicIntegerFieldUpdater.newUpdater(EventFeed.class, "wip");

    final String name;
    final BlockManager manager;
    /** This feed's incarnation: seqs of another feed (a restarted worker's) mean nothing here. */
    final String epoch = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);

    private final int ringCapacity;
    private final int snapshotBatchSize;
    private final EventBroadcaster<Frame> clients;
    private final Queue<Runnable> queue =
            Queues.<Runnable>unboundedMultiproducer().get();

    private volatile int wip;
    private volatile long droppedClients;
    private volatile boolean gone;
    private volatile @Nullable Throwable failure;

    // loop-only state
    private final ArrayDeque<Frame> ring = new ArrayDeque<>();
    private final Set<SequenceHash> mirror = new HashSet<>();
    private final List<Runnable> waitingForStart = new ArrayList<>();
    private @Nullable Subscription upstream;
    private boolean started; // the manager's snapshot began: lastSeq is known
    private boolean settled;
    private boolean ended;
    private long lastSeq;
    private long floor; // the ring holds the frames with seq in (floor, lastSeq]

    EventFeed(String name, BlockManager manager, int ringCapacity, int snapshotBatchSize, int clientBufferSize) {
        this.name = name;
        this.manager = manager;
        this.ringCapacity = ringCapacity;
        this.snapshotBatchSize = snapshotBatchSize;
        this.clients = new EventBroadcaster<>(clientBufferSize, Frame::weight, () -> droppedClients++);
    }

    /** Subscribes to the manager. */
    void start() {
        manager.eventsWithSnapshot().subscribe(this);
    }

    /** Ends the feed: cancels the manager subscription and completes every client (they may reconnect elsewhere). */
    void close() {
        execute(() -> {
            Subscription s = upstream;
            upstream = null;
            if (s != null) {
                s.cancel();
            }
            end();
        });
    }

    /**
     * Returns the frames for one client: each subscription attaches one client between two batches, with a replay
     * from the ring if {@code lastEventId} is in it, a snapshot otherwise.
     *
     * @param lastEventId the last {@code seq} the client has, or {@link #NO_ID}
     */
    Flux<Frame> frames(long lastEventId) {
        return FrameFlux.create(this, lastEventId);
    }

    /** Whether the stream ended before any batch could tell a client so (the manager was closed before the feed). */
    boolean isGone() {
        return gone;
    }

    /** Why the manager's stream failed, or null: the feed is then dead and serves nobody. */
    @Nullable
    Throwable failure() {
        return failure;
    }

    /** Clients terminated for overflowing their buffer. */
    long droppedClients() {
        return droppedClients;
    }

    // ---------------------------------------------------------------------------------------------------------
    // upstream: the manager's events, applied in the loop

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(upstream, s)) {
            execute(() -> upstream = s);
            s.request(Long.MAX_VALUE); // a feed never falls behind: it only queues into its own loop
        }
    }

    @Override
    public void onNext(EventBatch batch) {
        execute(() -> apply(batch));
    }

    @Override
    public void onError(Throwable t) {
        // The feed takes every batch at once, so the manager can only fail it if a single batch outweighs the
        // manager's eventBufferSize (a configuration error). The feed is then dead: its clients' streams end (they
        // reconnect) and later requests are refused with the error, instead of being told the stream has ended.
        failure = t;
        execute(this::end);
    }

    @Override
    public void onComplete() {
        execute(this::end);
    }

    private void apply(EventBatch batch) {
        if (ended) {
            return;
        }
        if (!started) {
            // The first batch of eventsWithSnapshot(): the hash-less CLEARED that opens the manager's snapshot.
            started = true;
            lastSeq = batch.seq();
            floor = batch.seq();
            for (Runnable attach : waitingForStart) {
                attach.run();
            }
            waitingForStart.clear();
            return;
        }
        if (!settled && batch.seq() == lastSeq && batch.kind() == EventKind.STORED) {
            // Part of the manager's initial snapshot: complete the mirror, and the snapshots handed out meanwhile.
            mirror.addAll(batch.hashes());
            clients.emit(new Frame(batch, false, false));
            return;
        }
        settled = true;
        switch (batch.kind()) {
            case STORED:
                mirror.addAll(batch.hashes());
                break;
            case REMOVED:
            case CLEARED:
                batch.hashes().forEach(mirror::remove);
                break;
            case SHUTDOWN:
                mirror.clear();
                break;
            default:
                throw new IllegalStateException("unknown event kind " + batch.kind());
        }
        lastSeq = batch.seq();
        Frame frame = new Frame(batch, true, false);
        ring.addLast(frame);
        if (ring.size() > ringCapacity) {
            floor = ring.removeFirst().batch().seq();
        }
        clients.emit(frame);
    }

    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        gone = !endsWithShutdown();
        for (Runnable attach : waitingForStart) {
            attach.run();
        }
        waitingForStart.clear();
        clients.complete();
    }

    private boolean endsWithShutdown() {
        Frame last = ring.peekLast();
        return last != null && last.batch().kind() == EventKind.SHUTDOWN;
    }

    // ---------------------------------------------------------------------------------------------------------
    // clients

    private void attach(Subscription client, long lastEventId) {
        if (!started && !ended) {
            waitingForStart.add(() -> attach(client, lastEventId));
            return;
        }
        clients.attach(client, prefill(lastEventId));
    }

    /** What a client receives on connecting (loop only). */
    private List<Frame> prefill(long lastEventId) {
        if (started && lastEventId != NO_ID && lastEventId >= floor && lastEventId <= lastSeq) {
            List<Frame> replay = new ArrayList<>();
            for (Frame frame : ring) {
                if (frame.batch().seq() > lastEventId) {
                    replay.add(frame.asReplay());
                }
            }
            return replay;
        }
        if (ended) {
            // A tier that is gone has nothing to restate: its SHUTDOWN tells the client to forget it.
            return endsWithShutdown() ? List.of(ring.peekLast().asReplay()) : List.of();
        }
        return snapshot();
    }

    /** The mirror as snapshot frames: CLEARED, then STORED by position; the last resumable once settled. */
    private List<Frame> snapshot() {
        long now = System.currentTimeMillis();
        List<SequenceHash> held = new ArrayList<>(mirror);
        held.sort(BY_POSITION);
        List<EventBatch> batches = new ArrayList<>(2 + held.size() / snapshotBatchSize);
        batches.add(new EventBatch(manager.instanceId(), manager.tier(), lastSeq, now, EventKind.CLEARED, List.of()));
        for (int from = 0; from < held.size(); from += snapshotBatchSize) {
            batches.add(new EventBatch(
                    manager.instanceId(),
                    manager.tier(),
                    lastSeq,
                    now,
                    EventKind.STORED,
                    held.subList(from, Math.min(held.size(), from + snapshotBatchSize))));
        }
        List<Frame> frames = new ArrayList<>(batches.size());
        for (int i = 0; i < batches.size(); i++) {
            frames.add(new Frame(batches.get(i), settled && i == batches.size() - 1, true));
        }
        return frames;
    }

    // ---------------------------------------------------------------------------------------------------------
    // the loop

    private void execute(Runnable op) {
        queue.offer(op);
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        for (; ; ) {
            Runnable next;
            while ((next = queue.poll()) != null) {
                try {
                    next.run();
                } catch (Throwable t) {
                    // Never leave the counter stuck: a failed step must not wedge the feed for every client. Nothing
                    // here is expected to throw; logging is not an option on an event-loop thread.
                    Exceptions.throwIfJvmFatal(t);
                }
            }
            missed = WIP.addAndGet(this, -missed);
            if (missed == 0) {
                return;
            }
        }
    }

    /** Each subscription attaches one client in the feed's loop. */
    private static final class FrameFlux extends Flux<Frame> implements Scannable {

        static Flux<Frame> create(EventFeed feed, long lastEventId) {
            return onAssembly(new FrameFlux(feed, lastEventId));
        }

        private final EventFeed feed;
        private final long lastEventId;

        FrameFlux(EventFeed feed, long lastEventId) {
            this.feed = feed;
            this.lastEventId = lastEventId;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Frame> actual) {
            Subscription client = feed.clients.prepare(actual);
            actual.onSubscribe(client);
            feed.execute(() -> feed.attach(client, lastEventId));
        }

        @Override
        public @Nullable Object scanUnsafe(Attr key) {
            return key == Attr.RUN_STYLE ? Attr.RunStyle.ASYNC : null;
        }
    }

    @Override
    public String toString() {
        return "EventFeed[" + name + ", " + manager + "]";
    }
}
