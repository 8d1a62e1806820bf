/**
 * Serving a worker's block managers over HTTP with Reactor Netty: {@link io.kvbm.transport.http.KvbmHttpServer}
 * streams each manager's cache events as Server-Sent Events ({@code /events/{name}}, resumable with
 * {@code Last-Event-ID}) and serves a Prometheus scrape ({@code /metrics}); {@link io.kvbm.transport.http.KvbmHttpEventClient}
 * consumes an event stream as a {@code Flux<EventBatch>}, reconnecting and resuming.
 *
 * <p>The SSE framing (event name, {@code id}, base64 MessagePack {@code data}, the epoch header) is documented in
 * {@code docs/events.md}, section "HTTP (Server-Sent Events)"; the meters behind {@code /metrics} in
 * {@code docs/metrics.md}.
 *
 * <p>This package needs {@code io.projectreactor.netty:reactor-netty-http} (and, for {@code /metrics},
 * {@code io.micrometer:micrometer-registry-prometheus}), optional dependencies of the library: add them to use it.
 */
@NullMarked
package io.kvbm.transport.http;

import org.jspecify.annotations.NullMarked;
