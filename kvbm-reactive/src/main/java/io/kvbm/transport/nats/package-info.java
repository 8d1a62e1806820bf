/**
 * The NATS transport: {@link io.kvbm.transport.nats.NatsEventPublisher} and
 * {@link io.kvbm.transport.nats.NatsEventSubscriber} over a jnats {@code Connection} (core NATS, no JetStream).
 *
 * <p>{@code io.nats:jnats} is an <em>optional</em> dependency of kvbm-reactive: add it to use this package. jnats's
 * blocking calls are kept off the caller's threads (a dedicated publishing thread behind a bounded queue; jnats's
 * dispatcher thread for delivery; {@code boundedElastic} for (un)subscribing), so BlockHound finds nothing to flag on
 * the manager's or the event loops' threads.
 */
@NullMarked
package io.kvbm.transport.nats;

import org.jspecify.annotations.NullMarked;
