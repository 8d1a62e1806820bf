package io.kvbm.transport;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventCodec;
import io.kvbm.event.EventKind;
import io.kvbm.event.EventStreamOverflowException;
import io.kvbm.manager.BlockManager;
import io.kvbm.router.ResyncRequest;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * Publishes a worker's cache events on a transport: manager events → {@link EventCodec} → {@link EventPublisher}
 * (kvbm's {@code KvbmCacheEventsPublisher}), and answers the router's resync requests with snapshots.
 *
 * <h2>The pipeline</h2>
 *
 * Built with {@link Builder#start()}, it subscribes at once to its source and publishes each batch, encoded, on
 * {@link EventSubjects#events(String) kvbm.events} (or {@code prefix.kvbm.events}), in order. The source is either a
 * {@link BlockManager} ({@link Builder#manager}), whose stream starts with a snapshot of what it holds
 * ({@code eventsWithSnapshot()}, unless {@link Builder#initialSnapshot(boolean) initialSnapshot(false)}), or any stream
 * of batches ({@link Builder#events}).
 *
 * <ul>
 *   <li>Normal completion (the manager closed, or the stream completed): the last message is a
 *       {@link EventKind#SHUTDOWN} batch — the manager's own, or one made here with the next {@code seq} if the stream
 *       did not end with one — followed by {@link EventPublisher#flush()}. Then {@link #whenDone()} completes.
 *   <li>{@link #dispose()}: the source is cancelled and nothing more is handed to the publisher, no SHUTDOWN, no flush
 *       (what the publisher had already accepted may still go out); {@link #whenDone()} completes at once.
 *   <li>A publish that fails (queue full, disconnected) loses that batch, is counted in {@link #publishFailures()} and
 *       logged; the pipeline goes on. Delivery is at most once: the router detects the hole by {@code seq}.
 *   <li>A manager subscription terminated with {@link EventStreamOverflowException} (the publisher fell more than
 *       the manager's event buffer behind) is replaced by a new one with a snapshot after a short back-off (10 ms,
 *       doubling while overflows repeat, at most 1.28 s, on {@link Schedulers#parallel()}), counted in
 *       {@link #overflowRecoveries()}. Any other error of the source ends the pipeline without SHUTDOWN and fails
 *       {@link #whenDone()}.
 * </ul>
 *
 * <h2>Resync</h2>
 *
 * With a manager and a {@link Builder#resyncSubscriber(EventSubscriber) resync subscriber}, the publisher listens on
 * {@link EventSubjects#resync(String, long) kvbm.resync.&lt;instanceId&gt;}; a request for this manager's instance id and
 * tier cancels the current manager subscription and replaces it with {@code eventsWithSnapshot()}: the next messages
 * are a hash-less {@code CLEARED} batch and {@code STORED} batches restating the tier's content, then the live stream
 * continues with the next {@code seq}. Requests for another tier are ignored; malformed ones are counted and ignored.
 *
 * <h2>Threading</h2>
 *
 * Encoding and the hand-over to the publisher run on the thread that delivers the batch: the manager's drain loop (a
 * thread operating on the manager, or its event timer's) or the transport thread that delivered a resync request.
 * Both are cheap and MUST stay so: {@link EventPublisher} implementations never block (the NATS publisher only
 * enqueues). All accessors are thread-safe.
 */
public final class KvEventPublisher implements Disposable {

    private static final Logger LOG = LoggerFactory.getLogger(KvEventPublisher.class);

    /** The first wait before resubscribing after an overflow; it doubles up to 128 times this (1.28 s). */
    private static final Duration MIN_RECOVERY_BACKOFF = Duration.ofMillis(10);

    /**
     * Returns a new builder.
     *
     * @return a builder; {@link Builder#publisher} and one source are required
     */
    public static Builder builder() {
        return new Builder();
    }

    private final EventPublisher publisher;
    private final String subject;
    private final @Nullable String resyncSubject;
    private final @Nullable BlockManager manager;
    private final long instanceId;
    private final StorageTier tier;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong publishFailures = new AtomicLong();
    private final AtomicLong snapshotsSent = new AtomicLong();
    private final AtomicLong overflowRecoveries = new AtomicLong();
    private final AtomicLong malformedRequests = new AtomicLong();
    private final AtomicInteger consecutiveOverflows = new AtomicInteger();
    private final Sinks.Empty<Void> done = Sinks.empty();
    private final Disposable subscription;

    /** The last batch taken from the source: decides whether a SHUTDOWN must be made at the end. */
    private volatile @Nullable EventBatch last;

    private KvEventPublisher(Builder b) {
        this.publisher = Objects.requireNonNull(b.publisher);
        this.subject = EventSubjects.prefixed(b.subjectPrefix, b.subject);
        this.manager = b.manager;
        if (manager != null) {
            this.instanceId = manager.instanceId();
            this.tier = manager.tier();
        } else {
            this.instanceId = Objects.requireNonNull(b.instanceId);
            this.tier = b.tier;
        }
        this.resyncSubject = b.resyncSubscriber == null ? null : EventSubjects.resync(b.subjectPrefix, instanceId);
        Flux<EventBatch> source = manager != null ? managerStream(manager, b) : Objects.requireNonNull(b.events);
        this.subscription = source.doOnNext(batch -> last = batch)
                .concatWith(Mono.fromSupplier(this::shutdownIfMissing)) // empty if the source ended with SHUTDOWN
                .concatMap(this::publishOne)
                .then(Mono.defer(this::flushQuietly))
                .doOnCancel(done::tryEmitEmpty)
                .subscribe(
                        null,
                        e -> {
                            LOG.warn("the event source of {} failed; the pipeline stopped without SHUTDOWN", this, e);
                            done.tryEmitError(e);
                        },
                        done::tryEmitEmpty);
    }

    /** The manager's events: a first stream, replaced by a snapshot stream on each resync request for this tier. */
    private Flux<EventBatch> managerStream(BlockManager m, Builder b) {
        Flux<ResyncRequest> requests = b.resyncSubscriber == null
                ? Flux.never()
                : b.resyncSubscriber
                        .subscribe(Objects.requireNonNull(resyncSubject))
                        .concatMapIterable(this::decodeRequest)
                        .filter(r -> r.instanceId() == instanceId && r.tier() == tier);
        Flux<EventBatch> first = b.initialSnapshot ? m.eventsWithSnapshot() : m.events();
        return Flux.defer(() -> {
            // the manager's stream ends (after its SHUTDOWN) when it closes; that must end the whole pipeline, not
            // only the current inner stream of switchMap, hence the signal that ends the request stream too
            Sinks.Empty<Void> ended = Sinks.empty();
            return Flux.concat(Mono.just(first), requests.map(r -> {
                        LOG.debug("{} answers {} with a snapshot", this, r);
                        snapshotsSent.incrementAndGet();
                        return m.eventsWithSnapshot();
                    }))
                    .takeUntilOther(ended.asMono())
                    .switchMap(stream -> recovering(m, stream).doOnComplete(ended::tryEmitEmpty));
        });
    }

    private Flux<EventBatch> recovering(BlockManager m, Flux<EventBatch> stream) {
        return stream.doOnNext(x -> consecutiveOverflows.set(0))
                .onErrorResume(EventStreamOverflowException.class, e -> {
                    overflowRecoveries.incrementAndGet();
                    // Back off before resubscribing: an overflow means the downstream has no demand, and a snapshot
                    // larger than the manager's buffer offered to a subscriber without demand overflows at once.
                    int attempt = Math.min(consecutiveOverflows.getAndIncrement(), 7);
                    Duration backoff = MIN_RECOVERY_BACKOFF.multipliedBy(1L << attempt);
                    LOG.warn(
                            "{} fell behind the manager's events ({}); resubscribing with a snapshot in {} ms",
                            this,
                            e.getMessage(),
                            backoff.toMillis());
                    return recovering(m, m.eventsWithSnapshot().delaySubscription(backoff, Schedulers.parallel()));
                });
    }

    private List<ResyncRequest> decodeRequest(Message message) {
        try {
            return List.of(ResyncCodec.decode(message.payload()));
        } catch (IllegalArgumentException e) {
            malformedRequests.incrementAndGet();
            LOG.debug("{} ignores a malformed resync request on {}: {}", this, message.subject(), e.getMessage());
            return List.of();
        }
    }

    private @Nullable EventBatch shutdownIfMissing() {
        EventBatch previous = last;
        if (previous != null && previous.kind() == EventKind.SHUTDOWN) {
            return null;
        }
        long seq = previous == null ? 0 : previous.seq() + 1;
        return new EventBatch(instanceId, tier, seq, System.currentTimeMillis(), EventKind.SHUTDOWN, List.of());
    }

    private Mono<Void> publishOne(EventBatch batch) {
        byte[] payload = EventCodec.encode(batch);
        return Mono.defer(() -> publisher.publish(subject, payload))
                .doOnSuccess(x -> published.incrementAndGet())
                .onErrorResume(e -> {
                    if (publishFailures.getAndIncrement() == 0) {
                        LOG.warn("{} could not publish batch seq {}: {}", this, batch.seq(), e.toString());
                    } else {
                        LOG.debug("{} could not publish batch seq {}: {}", this, batch.seq(), e.toString());
                    }
                    return Mono.empty();
                });
    }

    private Mono<Void> flushQuietly() {
        return Mono.defer(publisher::flush).onErrorResume(e -> {
            LOG.warn("{} could not flush its publisher at the end: {}", this, e.toString());
            return Mono.empty();
        });
    }

    /**
     * Returns a {@link Mono} that completes when the pipeline has ended: after the final SHUTDOWN and flush, or at
     * once when disposed. It fails with the source's error if the source failed (see the class documentation).
     * Subscribing to it does not affect the pipeline (kvbm's {@code join()}).
     *
     * @return the completion of the pipeline
     */
    public Mono<Void> whenDone() {
        return done.asMono();
    }

    /**
     * Cancels the source; nothing more is handed to the publisher, neither batches nor SHUTDOWN nor flush (kvbm's
     * {@code abort()}). Idempotent, like {@link Disposable#dispose()}.
     */
    @Override
    public void dispose() {
        subscription.dispose();
    }

    @Override
    public boolean isDisposed() {
        return subscription.isDisposed();
    }

    /**
     * Returns the subject batches are published on.
     *
     * @return {@code kvbm.events}, or the configured subject, prefixed
     */
    public String subject() {
        return subject;
    }

    /**
     * Returns the subject resync requests are read from.
     *
     * @return {@code kvbm.resync.<instanceId>}, prefixed, or {@code null} without a resync subscriber
     */
    public @Nullable String resyncSubject() {
        return resyncSubject;
    }

    /**
     * Returns how many batches the publisher accepted.
     *
     * @return the count, SHUTDOWN included
     */
    public long published() {
        return published.get();
    }

    /**
     * Returns how many batches the publisher refused; each is lost.
     *
     * @return the count
     */
    public long publishFailures() {
        return publishFailures.get();
    }

    /**
     * Returns how many resync requests were answered with a snapshot.
     *
     * @return the count
     */
    public long snapshotsSent() {
        return snapshotsSent.get();
    }

    /**
     * Returns how many times the manager subscription overflowed and was replaced by one with a snapshot.
     *
     * @return the count
     */
    public long overflowRecoveries() {
        return overflowRecoveries.get();
    }

    /**
     * Returns how many resync requests could not be decoded.
     *
     * @return the count
     */
    public long malformedRequests() {
        return malformedRequests.get();
    }

    @Override
    public String toString() {
        return "KvEventPublisher[instanceId=" + Long.toUnsignedString(instanceId) + ", tier=" + tier + ", subject="
                + subject + "]";
    }

    /**
     * Configures and starts a {@link KvEventPublisher}. Not thread-safe.
     *
     * <p>Exactly one source is required: {@link #manager} or {@link #events} (the latter with {@link #instanceId}).
     */
    public static final class Builder {

        private @Nullable BlockManager manager;
        private @Nullable Flux<EventBatch> events;
        private @Nullable Long instanceId;
        private StorageTier tier = StorageTier.G1;
        private @Nullable EventPublisher publisher;
        private @Nullable EventSubscriber resyncSubscriber;
        private @Nullable String subjectPrefix;
        private String subject = EventSubjects.EVENTS;
        private boolean initialSnapshot = true;

        private Builder() {}

        /**
         * Publishes the events of {@code manager}, stamped with its instance id and tier, and lets resync requests
         * re-subscribe it with a snapshot.
         *
         * @param manager the manager
         * @return this builder
         */
        public Builder manager(BlockManager manager) {
            this.manager = Objects.requireNonNull(manager, "manager");
            return this;
        }

        /**
         * Publishes an arbitrary stream of batches, for example an {@link io.kvbm.event.EventBatcher}'s over
         * {@code BlockRegistry.events()}; requires {@link #instanceId} for the SHUTDOWN made at its end. Such a
         * source cannot answer resync requests.
         *
         * @param events the batches
         * @return this builder
         */
        public Builder events(Flux<EventBatch> events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /**
         * Sets the worker id of the SHUTDOWN batch made when an {@link #events} stream ends (required with that
         * source; a manager's own id is used otherwise).
         *
         * @param instanceId the worker id
         * @return this builder
         */
        public Builder instanceId(long instanceId) {
            this.instanceId = instanceId;
            return this;
        }

        /**
         * Sets the tier of the SHUTDOWN batch made when an {@link #events} stream ends. Default
         * {@link StorageTier#G1}.
         *
         * @param tier the tier
         * @return this builder
         */
        public Builder tier(StorageTier tier) {
            this.tier = Objects.requireNonNull(tier, "tier");
            return this;
        }

        /**
         * Sets the transport the batches are published on (required).
         *
         * @param publisher the publisher; it MUST NOT block (see {@link EventPublisher})
         * @return this builder
         */
        public Builder publisher(EventPublisher publisher) {
            this.publisher = Objects.requireNonNull(publisher, "publisher");
            return this;
        }

        /**
         * Listens for resync requests on this subscriber and answers them with snapshots (requires a
         * {@link #manager}). Default: none, requests are not heard.
         *
         * @param subscriber the transport resync requests arrive on
         * @return this builder
         */
        public Builder resyncSubscriber(EventSubscriber subscriber) {
            this.resyncSubscriber = Objects.requireNonNull(subscriber, "resyncSubscriber");
            return this;
        }

        /**
         * Sets a prefix for every subject ({@code prefix.kvbm.events}, {@code prefix.kvbm.resync.<id>}). Default
         * none.
         *
         * @param prefix dot-separated tokens without whitespace or wildcards
         * @return this builder
         * @throws IllegalArgumentException if the prefix is not valid
         */
        public Builder subjectPrefix(String prefix) {
            this.subjectPrefix = EventSubjects.checkPrefix(Objects.requireNonNull(prefix, "subjectPrefix"));
            return this;
        }

        /**
         * Sets the subject batches are published on, before the prefix. Default {@value EventSubjects#EVENTS}.
         *
         * @param subject a non-empty subject
         * @return this builder
         * @throws IllegalArgumentException if empty
         */
        public Builder subject(String subject) {
            Objects.requireNonNull(subject, "subject");
            if (subject.isBlank()) {
                throw new IllegalArgumentException("subject must not be blank");
            }
            this.subject = subject;
            return this;
        }

        /**
         * Sets whether a manager's stream starts with a snapshot of its content, so that a router that is already
         * listening learns it without asking. Default {@code true}.
         *
         * @param snapshot {@code false} to start with the live stream only (kvbm's behaviour)
         * @return this builder
         */
        public Builder initialSnapshot(boolean snapshot) {
            this.initialSnapshot = snapshot;
            return this;
        }

        /**
         * Validates the configuration, then starts the pipeline: it subscribes to the source at once.
         *
         * @return the running pipeline; {@link KvEventPublisher#dispose()} stops it
         * @throws IllegalArgumentException naming the field if {@code publisher} is missing, if neither or both of
         *     {@code manager} and {@code events} are set, if {@code instanceId} is missing for an {@code events}
         *     source, or if a {@code resyncSubscriber} is set without a {@code manager}
         */
        public KvEventPublisher start() {
            if (publisher == null) {
                throw new IllegalArgumentException("publisher is required");
            }
            if (manager == null && events == null) {
                throw new IllegalArgumentException("a source is required: manager or events");
            }
            if (manager != null && events != null) {
                throw new IllegalArgumentException("manager and events are exclusive: set one source");
            }
            if (events != null && instanceId == null) {
                throw new IllegalArgumentException("instanceId is required with an events source");
            }
            if (resyncSubscriber != null && manager == null) {
                throw new IllegalArgumentException(
                        "resyncSubscriber requires a manager source: an events stream cannot restate its content");
            }
            return new KvEventPublisher(this);
        }
    }
}
