package io.kvbm.transport.nats;

import io.kvbm.transport.EventSubscriber;
import io.kvbm.transport.Message;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Subscription;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * Receives core NATS messages through a jnats {@link Connection} as {@link Flux}es.
 *
 * <h2>Threading</h2>
 *
 * One jnats {@link Dispatcher} (one thread of jnats's, created with this subscriber) delivers the messages of all its
 * subscriptions, in the order the server sent them; {@code onNext} runs on that thread and MUST NOT block (it would
 * delay every subscription of this subscriber). Registering and unregistering interest writes to the connection and
 * may park, so it runs on {@link Schedulers#boundedElastic()}, never on the subscribing or cancelling thread.
 *
 * <h2>What is lost</h2>
 *
 * Core NATS is at most once: messages published before the server has registered the subscription (subscribing is
 * asynchronous), while the connection is down (jnats re-subscribes after reconnecting), or that the server drops for
 * a slow consumer never arrive. A subscriber that does not request fast enough has a buffer of
 * {@link Builder#bufferSize(int) bufferSize} messages per subscription; what does not fit is dropped and counted in
 * {@link #dropped()}. Event consumers detect every such loss by {@code seq} (see {@link io.kvbm.router.KvIndexer}).
 *
 * <p>The connection belongs to the caller; {@link #close()} closes only this subscriber's dispatcher.
 */
public final class NatsEventSubscriber implements EventSubscriber {

    private static final Logger LOG = LoggerFactory.getLogger(NatsEventSubscriber.class);

    /** The default per-subscription buffer, in messages. */
    public static final int DEFAULT_BUFFER_SIZE = 8192;

    /**
     * Returns a subscriber on {@code connection} with the defaults of {@link #builder}.
     *
     * @param connection a jnats connection, owned by the caller
     * @return a new subscriber
     */
    public static NatsEventSubscriber create(Connection connection) {
        return builder(connection).build();
    }

    /**
     * Returns a builder for a subscriber on {@code connection}.
     *
     * @param connection a jnats connection, owned by the caller
     * @return a new builder
     */
    public static Builder builder(Connection connection) {
        return new Builder(connection);
    }

    private final Connection connection;
    private final Dispatcher dispatcher;
    private final int bufferSize;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    private NatsEventSubscriber(Builder b) {
        this.connection = b.connection;
        this.bufferSize = b.bufferSize;
        this.dispatcher = connection.createDispatcher();
    }

    /**
     * {@inheritDoc}
     *
     * <p>The subscription is registered with the server asynchronously, on {@link Schedulers#boundedElastic()}:
     * messages published before the server has it are not received. Messages are emitted on the dispatcher thread.
     * Cancelling unsubscribes (on {@code boundedElastic}).
     */
    @Override
    public Flux<Message> subscribe(String subject) {
        Objects.requireNonNull(subject, "subject");
        return Flux.<Message>create(sink -> {
                    Subscription subscription = dispatcher.subscribe(subject, msg -> {
                        received.incrementAndGet();
                        byte[] data = msg.getData();
                        sink.next(new Message(msg.getSubject(), data == null ? new byte[0] : data));
                    });
                    sink.onDispose(() -> Schedulers.boundedElastic().schedule(() -> unsubscribe(subscription)));
                })
                .subscribeOn(Schedulers.boundedElastic(), false)
                .onBackpressureBuffer(bufferSize, m -> dropped.incrementAndGet(), BufferOverflowStrategy.DROP_LATEST);
    }

    private void unsubscribe(Subscription subscription) {
        try {
            dispatcher.unsubscribe(subscription);
        } catch (RuntimeException e) {
            LOG.debug("unsubscribing from {} failed: {}", subscription.getSubject(), e.toString());
        }
    }

    /**
     * Returns how many messages arrived from the server.
     *
     * @return the count, over all subscriptions
     */
    public long received() {
        return received.get();
    }

    /**
     * Returns how many messages were dropped because a subscription's buffer was full.
     *
     * @return the count, over all subscriptions
     */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Closes this subscriber's dispatcher, ending the delivery of all its subscriptions (their {@link Flux}es do not
     * complete: cancel them). The connection stays open. May write to the connection: call it from a thread that may
     * block. Idempotent.
     */
    public void close() {
        try {
            connection.closeDispatcher(dispatcher);
        } catch (IllegalArgumentException | IllegalStateException e) {
            LOG.debug("closing the dispatcher: {}", e.toString()); // already closed, or the connection is
        }
    }

    /** Configures a {@link NatsEventSubscriber}. Not thread-safe. */
    public static final class Builder {

        private final Connection connection;
        private int bufferSize = DEFAULT_BUFFER_SIZE;

        private Builder(Connection connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
        }

        /**
         * Sets each subscription's buffer for when its subscriber does not request fast enough. Default
         * {@value NatsEventSubscriber#DEFAULT_BUFFER_SIZE}.
         *
         * @param messages at least 1
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder bufferSize(int messages) {
            if (messages < 1) {
                throw new IllegalArgumentException("bufferSize must be positive, got " + messages);
            }
            this.bufferSize = messages;
            return this;
        }

        /**
         * Builds the subscriber and creates its jnats dispatcher.
         *
         * @return a new subscriber; {@link NatsEventSubscriber#close()} closes its dispatcher
         */
        public NatsEventSubscriber build() {
            return new NatsEventSubscriber(this);
        }
    }
}
