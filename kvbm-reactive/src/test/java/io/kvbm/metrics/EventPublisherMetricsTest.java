package io.kvbm.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EventPublisherMetricsTest {

    @Test
    void bindEventPublisher_scrape_showsFailuresAndDiscardsPerTransport() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AtomicLong failures = new AtomicLong();
        AtomicLong discarded = new AtomicLong();
        KvbmMetrics.bindEventPublisher("nats", failures::get, discarded::get, registry, Tags.of("worker_id", "7"));
        failures.addAndGet(3);
        discarded.incrementAndGet();

        String scrape = registry.scrape();

        assertThat(scrape)
                .contains("kvbm_events_publish_failures_total{transport=\"nats\",worker_id=\"7\"} 3.0")
                .contains("kvbm_events_publish_discarded_total{transport=\"nats\",worker_id=\"7\"} 1.0");
        registry.close();
    }

    @Test
    void bindEventPublisher_reservedTag_rejectedNamingIt() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        assertThatThrownBy(() ->
                        KvbmMetrics.bindEventPublisher("nats", () -> 0, () -> 0, registry, Tags.of("transport", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserved key transport");
        registry.close();
    }
}
