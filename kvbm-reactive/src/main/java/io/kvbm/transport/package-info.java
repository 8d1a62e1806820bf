/**
 * Event transports: the {@link io.kvbm.transport.EventPublisher} / {@link io.kvbm.transport.EventSubscriber} SPI
 * (kvbm's {@code pubsub}), an {@link io.kvbm.transport.InMemoryEventBus}, and the two ends of the event protocol —
 * {@link io.kvbm.transport.KvEventPublisher} on each worker (manager events → MessagePack → {@code kvbm.events}, and
 * snapshots on request) and {@link io.kvbm.transport.KvIndexerFeed} on the router (batches into a
 * {@link io.kvbm.router.KvIndexer}, resync requests out). Real transports live in sub-packages
 * ({@code io.kvbm.transport.nats}) whose client libraries are optional dependencies. Delivery is at most once; see
 * {@code docs/events.md} for what is and is not delivered, and how a router heals.
 */
@NullMarked
package io.kvbm.transport;

import org.jspecify.annotations.NullMarked;
