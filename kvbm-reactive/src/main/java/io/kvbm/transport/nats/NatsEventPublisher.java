package io.kvbm.transport.nats;

import io.kvbm.transport.EventPublisher;
import io.kvbm.transport.PublishQueueFullException;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * Publishes on core NATS through a jnats {@link Connection} without ever blocking the caller.
 *
 * <h2>Threading</h2>
 *
 * jnats's {@code publish} may park: its writer queue takes a lock with a timeout and waits when full (up to the
 * connection's {@code writeQueuePushTimeout}), and {@code flush} waits for the server's reply. So callers never touch
 * the connection. {@link #publish} and {@link #flush} only put a command on a bounded, lock-free multi-producer queue
 * and wake one dedicated daemon thread, {@code kvbm-nats-publisher-<n>}, which alone calls jnats, in queue order. The
 * calling thread — a manager's drain loop, a {@code parallel()} worker, an event loop — does a CAS and an
 * {@code unpark} at most; it never waits.
 *
 * <h2>Overflow and failures</h2>
 *
 * The queue holds at most {@link Builder#queueCapacity(int) queueCapacity} commands. When it is full (the server is
 * slow, or jnats blocks while disconnected), {@link #publish} fails at once with {@link PublishQueueFullException} and
 * the message is discarded, counted in {@link #discarded()}. A message jnats refuses on the publishing thread (for
 * example while reconnecting with the reconnect buffer disabled or full) is lost and counted in
 * {@link #publishFailures()}; the caller's {@link Mono} has already completed by then: publish is at most once.
 * What jnats accepted while disconnected sits in its reconnect buffer and goes out after reconnecting.
 *
 * <p>The connection belongs to the caller: this publisher neither configures nor closes it. {@link #close()} stops
 * the publishing thread after the commands already queued.
 */
public final class NatsEventPublisher implements EventPublisher {

    private static final Logger LOG = LoggerFactory.getLogger(NatsEventPublisher.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** The default queue capacity, in commands. */
    public static final int DEFAULT_QUEUE_CAPACITY = 4096;

    /**
     * Returns a publisher on {@code connection} with the defaults of {@link #builder}.
     *
     * @param connection a jnats connection, owned by the caller
     * @return a new publisher, its thread started
     */
    public static NatsEventPublisher create(Connection connection) {
        return builder(connection).build();
    }

    /**
     * Returns a builder for a publisher on {@code connection}.
     *
     * @param connection a jnats connection, owned by the caller
     * @return a new builder
     */
    public static Builder builder(Connection connection) {
        return new Builder(connection);
    }

    private final Connection connection;
    private final int capacity;
    private final Duration flushTimeout;
    private final Queue<Object> queue = Queues.unboundedMultiproducer().get();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private final AtomicLong publishFailures = new AtomicLong();
    private final Sinks.Empty<Void> terminated = Sinks.empty();
    private final Thread thread;

    private volatile boolean waiting;
    private volatile boolean closed;

    private NatsEventPublisher(Builder b) {
        this.connection = b.connection;
        this.capacity = b.queueCapacity;
        this.flushTimeout = b.flushTimeout;
        this.thread = new Thread(this::run, "kvbm-nats-publisher-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Completes as soon as the message is queued for the publishing thread: on the subscribing thread, without
     * waiting. Fails with {@link PublishQueueFullException} if the queue is full, with {@link IllegalStateException}
     * after {@link #close()}.
     */
    @Override
    public Mono<Void> publish(String subject, byte[] payload) {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(payload, "payload");
        return Mono.defer(() -> {
            if (closed) {
                return Mono.error(new IllegalStateException("the NATS publisher is closed"));
            }
            if (!offer(new Publish(subject, payload))) {
                discarded.incrementAndGet();
                return Mono.error(new PublishQueueFullException(capacity));
            }
            return Mono.empty();
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Queues a flush behind the messages already queued; the publishing thread then calls jnats
     * {@code flush(flushTimeout)}, which waits for the server to answer a ping. Completes (on the publishing thread)
     * when the server answered; fails with the {@link TimeoutException} jnats throws when it does not answer in time
     * (for example while disconnected), with {@link PublishQueueFullException} if the queue is full, and with
     * {@link IllegalStateException} after {@link #close()}.
     */
    @Override
    public Mono<Void> flush() {
        return Mono.create(sink -> {
            if (closed) {
                sink.error(new IllegalStateException("the NATS publisher is closed"));
            } else if (!offer(new Flush(sink))) {
                sink.error(new PublishQueueFullException(capacity));
            }
        });
    }

    /**
     * Stops accepting commands; the publishing thread sends what is already queued and ends. The connection stays
     * open. Idempotent, like {@link reactor.core.Disposable#dispose()}.
     *
     * @return a {@link Mono} completing when the publishing thread has ended (subscribing is optional)
     */
    public Mono<Void> close() {
        if (!closed) {
            closed = true;
            queue.offer(Stop.STOP); // outside the capacity: a full queue must still be able to stop
            wake();
        }
        return terminated.asMono();
    }

    /**
     * Returns how many messages jnats accepted.
     *
     * @return the count
     */
    public long sent() {
        return sent.get();
    }

    /**
     * Returns how many messages were refused because the queue was full.
     *
     * @return the count
     */
    public long discarded() {
        return discarded.get();
    }

    /**
     * Returns how many queued messages jnats refused on the publishing thread (each one is lost).
     *
     * @return the count
     */
    public long publishFailures() {
        return publishFailures.get();
    }

    /**
     * Returns how many commands wait for the publishing thread.
     *
     * @return the queue length; a snapshot
     */
    public int queued() {
        return queued.get();
    }

    /**
     * Returns the capacity of the queue.
     *
     * @return the capacity, in commands
     */
    public int queueCapacity() {
        return capacity;
    }

    @Override
    public String toString() {
        return "NatsEventPublisher[" + thread.getName() + ", queued=" + queued.get() + "/" + capacity + "]";
    }

    private boolean offer(Object command) {
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            return false;
        }
        queue.offer(command);
        wake();
        return true;
    }

    private void wake() {
        // unpark never blocks; it only matters if the thread is (about to be) parked
        if (waiting) {
            LockSupport.unpark(thread);
        }
    }

    /** The publishing thread: the only one that calls jnats. */
    private void run() {
        try {
            for (; ; ) {
                Object command = queue.poll();
                if (command == null) {
                    waiting = true;
                    // re-check after announcing: an offer that missed the flag has queued its command already
                    if (queue.isEmpty()) {
                        LockSupport.park(this);
                    }
                    waiting = false;
                    continue;
                }
                if (command == Stop.STOP) {
                    return;
                }
                queued.decrementAndGet();
                if (command instanceof Publish) {
                    send((Publish) command);
                } else {
                    flush(((Flush) command).sink);
                }
            }
        } finally {
            terminated.tryEmitEmpty();
        }
    }

    private void send(Publish p) {
        try {
            connection.publish(p.subject, p.payload);
            sent.incrementAndGet();
        } catch (RuntimeException e) {
            if (publishFailures.getAndIncrement() == 0) {
                LOG.warn("NATS refused a message on {}: {}", p.subject, e.toString());
            } else {
                LOG.debug("NATS refused a message on {}: {}", p.subject, e.toString());
            }
        }
    }

    private void flush(MonoSink<Void> sink) {
        try {
            connection.flush(flushTimeout);
            sink.success();
        } catch (TimeoutException | RuntimeException e) {
            sink.error(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sink.error(e);
        }
    }

    private static final class Publish {
        final String subject;
        final byte[] payload;

        Publish(String subject, byte[] payload) {
            this.subject = subject;
            this.payload = payload;
        }
    }

    private static final class Flush {
        final MonoSink<Void> sink;

        Flush(MonoSink<Void> sink) {
            this.sink = sink;
        }
    }

    private enum Stop {
        STOP
    }

    /** Configures a {@link NatsEventPublisher}. Not thread-safe. */
    public static final class Builder {

        private final Connection connection;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private Duration flushTimeout = Duration.ofSeconds(5);

        private Builder(Connection connection) {
            this.connection = Objects.requireNonNull(connection, "connection");
        }

        /**
         * Sets how many commands (messages and flushes) may wait for the publishing thread. Default
         * {@value NatsEventPublisher#DEFAULT_QUEUE_CAPACITY}.
         *
         * @param capacity at least 1
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder queueCapacity(int capacity) {
            if (capacity < 1) {
                throw new IllegalArgumentException("queueCapacity must be positive, got " + capacity);
            }
            this.queueCapacity = capacity;
            return this;
        }

        /**
         * Sets how long {@link NatsEventPublisher#flush()} waits for the server. Default 5 s.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder flushTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "flushTimeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("flushTimeout must be positive, got " + timeout);
            }
            this.flushTimeout = timeout;
            return this;
        }

        /**
         * Builds the publisher and starts its thread.
         *
         * @return a new publisher; {@link NatsEventPublisher#close()} stops its thread
         */
        public NatsEventPublisher build() {
            return new NatsEventPublisher(this);
        }
    }
}
