package io.kvbm.transport;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.BufferOverflowStrategy;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * An in-process event transport for tests and single-JVM deployments (kvbm's {@code StubBus}).
 *
 * <p>{@link #publisher()} and {@link #subscriber()} are two views of one bus. A message is delivered to the
 * subscriptions in place on its <em>exact</em> subject (no wildcards) at the moment it is published, synchronously on
 * the publishing thread; a message published while nobody is subscribed is lost, like on a real broker. Each
 * subscription has its own buffer of {@code bufferSize} messages for when its subscriber does not request fast
 * enough; a message that does not fit is dropped for that subscriber alone and counted in {@link #dropped()}.
 * {@link EventPublisher#flush()} completes at once: there is nothing in flight.
 *
 * <p>Thread-safe: any number of threads may publish concurrently (each subscription serializes what it receives).
 * Nothing here blocks.
 */
public final class InMemoryEventBus {

    /** The default per-subscription buffer, in messages (kvbm's stub uses 256). */
    public static final int DEFAULT_BUFFER_SIZE = 256;

    private final int bufferSize;
    private final Map<String, List<FluxSink<Message>>> subjects = new ConcurrentHashMap<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final EventPublisher publisher = new Publisher();
    private final EventSubscriber subscriber = this::subscribe;

    private InMemoryEventBus(int bufferSize) {
        this.bufferSize = bufferSize;
    }

    /**
     * Creates a bus whose subscriptions buffer {@value #DEFAULT_BUFFER_SIZE} messages each.
     *
     * @return a new bus
     */
    public static InMemoryEventBus create() {
        return create(DEFAULT_BUFFER_SIZE);
    }

    /**
     * Creates a bus.
     *
     * @param bufferSize each subscription's buffer, in messages, at least 1
     * @return a new bus
     * @throws IllegalArgumentException if {@code bufferSize} is not positive
     */
    public static InMemoryEventBus create(int bufferSize) {
        if (bufferSize < 1) {
            throw new IllegalArgumentException("bufferSize must be positive, got " + bufferSize);
        }
        return new InMemoryEventBus(bufferSize);
    }

    /**
     * Returns the publishing view of this bus.
     *
     * @return the publisher; its {@code publish} delivers during subscription, on the subscribing thread
     */
    public EventPublisher publisher() {
        return publisher;
    }

    /**
     * Returns the subscribing view of this bus.
     *
     * @return the subscriber; its subscriptions receive messages on the publishing threads
     */
    public EventSubscriber subscriber() {
        return subscriber;
    }

    /**
     * Returns how many messages were published, whether or not anybody received them.
     *
     * @return the count since creation
     */
    public long published() {
        return published.get();
    }

    /**
     * Returns how many deliveries were dropped because a subscription's buffer was full.
     *
     * @return the count since creation, over all subscriptions
     */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Returns how many subscriptions are in place on {@code subject}.
     *
     * @param subject the exact subject
     * @return the number of subscriptions; a snapshot
     */
    public int subscriptions(String subject) {
        List<FluxSink<Message>> sinks = subjects.get(subject);
        return sinks == null ? 0 : sinks.size();
    }

    private Flux<Message> subscribe(String subject) {
        Objects.requireNonNull(subject, "subject");
        return Flux.<Message>create(sink -> {
                    List<FluxSink<Message>> sinks =
                            subjects.computeIfAbsent(subject, s -> new CopyOnWriteArrayList<>());
                    sinks.add(sink);
                    sink.onDispose(() -> sinks.remove(sink));
                })
                // requests everything from the sink above, so that only this bounded buffer ever holds messages
                .onBackpressureBuffer(bufferSize, m -> dropped.incrementAndGet(), BufferOverflowStrategy.DROP_LATEST);
    }

    private final class Publisher implements EventPublisher {

        @Override
        public Mono<Void> publish(String subject, byte[] payload) {
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(payload, "payload");
            return Mono.fromRunnable(() -> {
                published.incrementAndGet();
                List<FluxSink<Message>> sinks = subjects.get(subject);
                if (sinks == null || sinks.isEmpty()) {
                    return;
                }
                Message message = new Message(subject, payload);
                for (FluxSink<Message> sink : sinks) {
                    sink.next(message);
                }
            });
        }

        @Override
        public Mono<Void> flush() {
            return Mono.empty();
        }
    }
}
