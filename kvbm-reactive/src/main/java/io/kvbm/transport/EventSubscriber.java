package io.kvbm.transport;

import reactor.core.publisher.Flux;

/**
 * Receives payloads published on a subject: the receiving half of an event transport (kvbm's
 * {@code pubsub::Subscriber}).
 *
 * <p>Delivery is at most once: messages published before the subscription is in place, while the transport is
 * disconnected, or beyond a slow subscriber's buffer are lost. What exactly may be lost is each implementation's to
 * document; none of them replays.
 */
public interface EventSubscriber {

    /**
     * Returns the messages published on {@code subject}.
     *
     * <p>Subscribing registers interest in the subject; each subscription is independent and receives every message
     * published on the subject while it is in place, in the order a single publisher sent them. It does not complete
     * on its own; it may fail if the transport closes. Cancelling the subscription unregisters it. Messages are
     * emitted on a thread of the transport (documented by the implementation), which the subscriber MUST NOT block.
     *
     * @param subject the subject; whether wildcards ({@code *}, {@code >}) are understood depends on the transport
     * @return a lazy, hot {@link reactor.core.publisher.Flux} of messages
     */
    Flux<Message> subscribe(String subject);
}
