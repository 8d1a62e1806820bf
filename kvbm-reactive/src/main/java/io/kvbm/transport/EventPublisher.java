package io.kvbm.transport;

import reactor.core.publisher.Mono;

/**
 * Sends payloads on subjects: the sending half of an event transport (kvbm's {@code pubsub::Publisher}).
 *
 * <p>Delivery is at most once. {@link #publish} hands a payload to the transport and does not wait for anybody to
 * receive it; a message published while nobody is subscribed, or while the transport is disconnected, may be lost.
 * Consumers of event batches detect such losses by the batches' {@code seq} and heal by asking for a snapshot (see
 * {@link io.kvbm.router.KvIndexer} and {@code docs/events.md}).
 *
 * <p>Implementations MUST NOT block the subscribing thread: a transport whose client may park does its sending on a
 * thread of its own behind a bounded queue, and fails {@link #publish} at once when that queue is full.
 */
public interface EventPublisher {

    /**
     * Publishes {@code payload} on {@code subject}.
     *
     * <p>Nothing happens until the {@link Mono} is subscribed; each subscription publishes once. It completes when the
     * transport has <em>accepted</em> the message (queued it for sending, or delivered it in memory), which is not a
     * delivery guarantee. It fails if the transport refuses the message, for example with
     * {@link PublishQueueFullException} when its queue is full, or {@link IllegalStateException} once it is closed.
     * The payload MUST NOT be changed after the call. Messages published by one thread are sent in the order of their
     * subscriptions.
     *
     * @param subject the subject, a non-empty dot-separated NATS-style name
     * @param payload the bytes to send
     * @return a lazy {@link Mono} that completes once the message is accepted
     */
    Mono<Void> publish(String subject, byte[] payload);

    /**
     * Waits until everything published before this call has been handed over to the messaging system.
     *
     * <p>Nothing happens until the {@link Mono} is subscribed. It completes when every message accepted before the
     * subscription has been written out (and, where the transport supports it, acknowledged by its server), and fails
     * if that cannot be confirmed, for example when disconnected.
     *
     * @return a lazy {@link Mono} that completes once earlier messages are flushed
     */
    Mono<Void> flush();
}
