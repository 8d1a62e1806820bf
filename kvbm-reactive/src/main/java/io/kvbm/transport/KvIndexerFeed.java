package io.kvbm.transport;

import io.kvbm.event.EventBatch;
import io.kvbm.event.EventCodec;
import io.kvbm.router.KvIndexer;
import io.kvbm.router.ResyncRequest;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;

/**
 * Connects a {@link KvIndexer} to a transport, the router's half of the protocol: it decodes the batches published on
 * {@link EventSubjects#events(String) kvbm.events} into the indexer, and publishes the indexer's
 * {@link KvIndexer#resyncRequests() resync requests} on {@link EventSubjects#resync(String, long)
 * kvbm.resync.&lt;instanceId&gt;}, where the worker's {@link KvEventPublisher} answers with a snapshot.
 *
 * <p>Payloads that do not decode are counted in {@link #malformed()} and skipped (the gap they leave is detected like
 * any lost batch). A resync request the publisher refuses is counted in {@link #resyncFailures()}; the indexer repeats
 * unanswered requests anyway. Batches are decoded and applied on the subscriber's delivery thread (for NATS, its
 * dispatcher thread); requests are published from the indexer's loop or retry timer. Neither blocks.
 */
public final class KvIndexerFeed implements Disposable {

    private static final Logger LOG = LoggerFactory.getLogger(KvIndexerFeed.class);

    /**
     * Returns a new builder.
     *
     * @return a builder; {@link Builder#indexer} and {@link Builder#subscriber} are required
     */
    public static Builder builder() {
        return new Builder();
    }

    private final KvIndexer indexer;
    private final @Nullable EventPublisher publisher;
    private final @Nullable String prefix;
    private final String subject;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong resyncsSent = new AtomicLong();
    private final AtomicLong resyncFailures = new AtomicLong();
    private final Disposable.Composite subscriptions = Disposables.composite();

    private KvIndexerFeed(Builder b) {
        this.indexer = Objects.requireNonNull(b.indexer);
        this.publisher = b.publisher;
        this.prefix = b.subjectPrefix;
        this.subject = EventSubjects.prefixed(prefix, b.subject);
        EventSubscriber subscriber = Objects.requireNonNull(b.subscriber);
        subscriptions.add(indexer.consume(subscriber.subscribe(subject).concatMapIterable(this::decode)));
        if (publisher != null) {
            subscriptions.add(
                    indexer.resyncRequests().concatMap(this::sendRequest).subscribe());
        }
    }

    private List<EventBatch> decode(Message message) {
        received.incrementAndGet();
        try {
            return List.of(EventCodec.decode(message.payload()));
        } catch (IllegalArgumentException e) {
            malformed.incrementAndGet();
            LOG.debug("skipping a malformed event batch on {}: {}", message.subject(), e.getMessage());
            return List.of();
        }
    }

    private Mono<Void> sendRequest(ResyncRequest request) {
        EventPublisher p = Objects.requireNonNull(publisher);
        String to = EventSubjects.resync(prefix, request.instanceId());
        byte[] payload = ResyncCodec.encode(request);
        return Mono.defer(() -> p.publish(to, payload))
                .doOnSuccess(x -> resyncsSent.incrementAndGet())
                .onErrorResume(e -> {
                    resyncFailures.incrementAndGet();
                    LOG.debug("could not send {} on {}: {}", request, to, e.toString());
                    return Mono.empty();
                });
    }

    /**
     * Returns the subject batches are read from.
     *
     * @return {@code kvbm.events}, or the configured subject, prefixed
     */
    public String subject() {
        return subject;
    }

    /**
     * Returns how many messages arrived on the events subject.
     *
     * @return the count, malformed ones included
     */
    public long received() {
        return received.get();
    }

    /**
     * Returns how many messages could not be decoded as event batches.
     *
     * @return the count
     */
    public long malformed() {
        return malformed.get();
    }

    /**
     * Returns how many resync requests the publisher accepted.
     *
     * @return the count
     */
    public long resyncsSent() {
        return resyncsSent.get();
    }

    /**
     * Returns how many resync requests the publisher refused.
     *
     * @return the count
     */
    public long resyncFailures() {
        return resyncFailures.get();
    }

    /** Stops reading batches and forwarding requests; the indexer itself is left alone. Idempotent. */
    @Override
    public void dispose() {
        subscriptions.dispose();
    }

    @Override
    public boolean isDisposed() {
        return subscriptions.isDisposed();
    }

    /** Configures and starts a {@link KvIndexerFeed}. Not thread-safe. */
    public static final class Builder {

        private @Nullable KvIndexer indexer;
        private @Nullable EventSubscriber subscriber;
        private @Nullable EventPublisher publisher;
        private @Nullable String subjectPrefix;
        private String subject = EventSubjects.EVENTS;

        private Builder() {}

        /**
         * Sets the indexer fed (required).
         *
         * @param indexer the indexer
         * @return this builder
         */
        public Builder indexer(KvIndexer indexer) {
            this.indexer = Objects.requireNonNull(indexer, "indexer");
            return this;
        }

        /**
         * Sets the transport batches arrive on (required).
         *
         * @param subscriber the subscriber
         * @return this builder
         */
        public Builder subscriber(EventSubscriber subscriber) {
            this.subscriber = Objects.requireNonNull(subscriber, "subscriber");
            return this;
        }

        /**
         * Sets the transport resync requests are sent on. Default none: requests are not sent, and a lost batch
         * leaves its worker's view unsynced until the worker's next snapshot.
         *
         * @param publisher the publisher
         * @return this builder
         */
        public Builder publisher(EventPublisher publisher) {
            this.publisher = Objects.requireNonNull(publisher, "publisher");
            return this;
        }

        /**
         * Sets the subject prefix, the same as the workers' (see {@link KvEventPublisher.Builder#subjectPrefix}).
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
         * Sets the subject batches are read from, before the prefix. Default {@value EventSubjects#EVENTS}.
         *
         * @param subject a non-empty subject
         * @return this builder
         * @throws IllegalArgumentException if blank
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
         * Validates the configuration and starts: subscribes to the events subject and to the indexer's requests.
         *
         * @return the running feed
         * @throws IllegalArgumentException naming the field if {@code indexer} or {@code subscriber} is missing
         */
        public KvIndexerFeed start() {
            if (indexer == null) {
                throw new IllegalArgumentException("indexer is required");
            }
            if (subscriber == null) {
                throw new IllegalArgumentException("subscriber is required");
            }
            return new KvIndexerFeed(this);
        }
    }
}
