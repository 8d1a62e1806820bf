/**
 * Micrometer meters for {@link io.kvbm.manager.BlockManager}s, named as Dynamo's {@code kvbm-logical} names its
 * metrics, so that a Prometheus scrape is a drop-in for Dynamo's dashboards.
 *
 * <p>{@link io.kvbm.metrics.KvbmMetrics} binds a manager to a {@code MeterRegistry}; {@link io.kvbm.metrics.KvbmMeters}
 * documents every meter (name, type, unit, tags, what moves it). {@code docs/metrics.md} explains each series, when it
 * moves, and the PromQL of the prefix hit rate. The {@code /metrics} endpoint is served by
 * {@code io.kvbm.transport.http.KvbmHttpServer}.
 *
 * <p>This package needs {@code io.micrometer:micrometer-core}, an optional dependency of the library: add it to use
 * these classes. No class outside this package (and {@code io.kvbm.transport.http}) refers to Micrometer, so the rest
 * of the library works without it.
 */
@NullMarked
package io.kvbm.metrics;

import org.jspecify.annotations.NullMarked;
