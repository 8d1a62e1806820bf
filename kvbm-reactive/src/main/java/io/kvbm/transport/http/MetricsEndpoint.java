package io.kvbm.transport.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * {@code GET /metrics}: a Prometheus scrape of a {@link PrometheusMeterRegistry}, in the format the {@code Accept}
 * header asks for. Kept apart from {@link KvbmHttpServer} so that a server without metrics never loads Micrometer.
 *
 * <p>Scraping formats every meter of the registry into a string: CPU work that grows with the registry, with no I/O.
 * It runs on {@code scrapeScheduler} (default {@code Schedulers.boundedElastic()}) rather than on the Netty event
 * loop, so that a large registry never stalls the event streams served by the same loop, and so that meters of other
 * libraries whose suppliers block (BlockHound would flag them on the event loop) cannot break the endpoint.
 */
final class MetricsEndpoint {

    /** The Prometheus text format, 0.0.4: what a scraper gets unless it asks for OpenMetrics. */
    static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

    /** OpenMetrics 1.0.0: sent when the {@code Accept} header lists {@code application/openmetrics-text}. */
    static final String OPENMETRICS_FORMAT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final Scheduler scrapeScheduler;

    MetricsEndpoint(PrometheusMeterRegistry registry, Scheduler scrapeScheduler) {
        this.registry = registry;
        this.scrapeScheduler = scrapeScheduler;
    }

    /** The content type answering {@code accept}: OpenMetrics if listed (Prometheus asks for it first), else text. */
    static String contentType(@Nullable String accept) {
        return accept != null && accept.toLowerCase(Locale.ROOT).contains("application/openmetrics-text")
                ? OPENMETRICS_FORMAT
                : TEXT_FORMAT;
    }

    /** The scrape in {@code contentType}, computed on subscription on the scrape scheduler. */
    Mono<String> scrape(String contentType) {
        return Mono.fromCallable(() -> registry.scrape(contentType)).subscribeOn(scrapeScheduler);
    }
}
