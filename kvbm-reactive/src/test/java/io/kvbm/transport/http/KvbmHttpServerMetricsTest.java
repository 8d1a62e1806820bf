package io.kvbm.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.manager.BlockManager;
import io.kvbm.metrics.KvbmMeters;
import io.kvbm.metrics.KvbmMetrics;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;
import reactor.test.subscriber.TestSubscriber;

/**
 * {@code /metrics} over real HTTP: a server on 127.0.0.1 with an ephemeral port, managers driven through every
 * counter, a scrape with Reactor Netty's client, and the exact series names Dynamo's dashboards query. The requests are
 * served on Netty event loops under BlockHound, so a scrape that blocked there would fail these tests.
 */
class KvbmHttpServerMetricsTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private KvbmHttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close().block(TestBlocks.TIMEOUT);
        }
        registry.close();
    }

    private BlockManager manager(StorageTier tier, int blocks) {
        return TestManagers.create(
                blocks, b -> b.tier(tier).metrics(KvbmMetrics.binder(registry, Tags.of("worker_id", "7"))));
    }

    private URI start(Consumer<KvbmHttpServer.Builder> config) {
        KvbmHttpServer.Builder builder =
                KvbmHttpServer.builder().host("127.0.0.1").port(0);
        config.accept(builder);
        server = builder.build().start().block(TestBlocks.TIMEOUT);
        return server.uri().resolve("/metrics");
    }

    /**
     * Moves the counters of {@code m} (4 blocks): 7 allocations (5 from the reset pool, 2 evictions), 4 registrations
     * with 1 duplicate, 4 stagings, a match of 3 returning 1, a scan of 3 returning 2, and one allocation that waited.
     */
    private static void drive(BlockManager m) {
        List<SequenceHash> chain = TestTokens.chain(0, 3);
        TestBlocks.cache(m, List.of(chain.get(0), chain.get(2))); // 2 allocations, 2 stagings, 2 registrations
        ImmutableBlock primary = TestBlocks.register(m, chain.get(1)); // 1 + 1 + 1
        ImmutableBlock duplicate = TestBlocks.register(m, chain.get(1)); // 1 + 1 + 1 (a duplicate)
        TestBlocks.closeAll(
                TestBlocks.match(m, List.of(chain.get(0), TestTokens.roots(9, 1).get(0), chain.get(2))));
        TestBlocks.closeAll(m.scan(List.of(chain.get(0), TestTokens.roots(9, 1).get(0), chain.get(2)))
                .block(TestBlocks.TIMEOUT)
                .values());
        // 2 more allocations evict the 2 cached blocks; a third waits until one of them is closed
        List<MutableBlock> evicting = TestBlocks.allocate(m, 2);
        TestSubscriber<MutableBlock> waiter = TestSubscriber.create();
        m.allocate().subscribe(waiter);
        evicting.get(0).close();
        waiter.getReceivedOnNext().forEach(MutableBlock::close);
        evicting.get(1).close();
        duplicate.close();
        primary.close();
    }

    @Test
    void scrape_textFormat_everyDynamoSeriesNameWithPoolAndCommonTags() {
        BlockManager g1 = manager(StorageTier.G1, 4);
        BlockManager g2 = manager(StorageTier.G2, 8);
        URI metrics = start(b -> b.events(g1).metrics(registry));
        drive(g1);

        SseProbe.Answer scrape = SseProbe.get(metrics, Map.of());

        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.headers().get("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        List<String> lines = Arrays.asList(scrape.body().split("\n"));
        // Dynamo's eleven counters and four gauges, exactly as its dashboards query them, then ours
        assertThat(lines)
                .contains(
                        "kvbm_allocations_total{pool=\"G1\",worker_id=\"7\"} 7.0",
                        "kvbm_allocations_from_reset_total{pool=\"G1\",worker_id=\"7\"} 5.0",
                        "kvbm_evictions_total{pool=\"G1\",worker_id=\"7\"} 2.0",
                        "kvbm_registrations_total{pool=\"G1\",worker_id=\"7\"} 4.0",
                        "kvbm_duplicate_blocks_total{pool=\"G1\",worker_id=\"7\"} 1.0",
                        "kvbm_registration_dedup_total{pool=\"G1\",worker_id=\"7\"} 0.0",
                        "kvbm_stagings_total{pool=\"G1\",worker_id=\"7\"} 4.0",
                        "kvbm_match_hashes_requested_total{pool=\"G1\",worker_id=\"7\"} 3.0",
                        "kvbm_match_blocks_returned_total{pool=\"G1\",worker_id=\"7\"} 1.0",
                        "kvbm_scan_hashes_requested_total{pool=\"G1\",worker_id=\"7\"} 3.0",
                        "kvbm_scan_blocks_returned_total{pool=\"G1\",worker_id=\"7\"} 2.0",
                        "kvbm_inflight_mutable{pool=\"G1\",worker_id=\"7\"} 0.0",
                        "kvbm_inflight_immutable{pool=\"G1\",worker_id=\"7\"} 0.0",
                        "kvbm_reset_pool_size{pool=\"G1\",worker_id=\"7\"} 3.0",
                        "kvbm_inactive_pool_size{pool=\"G1\",worker_id=\"7\"} 1.0",
                        "kvbm_pending_allocations{pool=\"G1\",worker_id=\"7\"} 0.0",
                        "kvbm_allocation_wait_seconds_count{outcome=\"acquired\",pool=\"G1\",worker_id=\"7\"} 1",
                        "kvbm_leaked_blocks_total{pool=\"G1\",worker_id=\"7\"} 0.0",
                        "kvbm_events_dropped_subscribers_total{pool=\"G1\",worker_id=\"7\"} 0.0",
                        "kvbm_allocate_atomic_rollback_total{pool=\"G1\",worker_id=\"7\"} 0.0",
                        "kvbm_reset_pool_size{pool=\"G2\",worker_id=\"7\"} 8.0",
                        "# TYPE kvbm_allocations_total counter",
                        "# TYPE kvbm_reset_pool_size gauge",
                        "# HELP kvbm_allocations_total " + KvbmMeters.ALLOCATIONS.description());
        for (KvbmMeters meter : KvbmMeters.values()) {
            assertThat(lines)
                    .as("series %s of %s", meter.prometheusName(), meter)
                    .anyMatch(line -> line.startsWith(meter.prometheusName() + "{")
                            && line.contains("pool=\"G1\"")
                            && line.contains("worker_id=\"7\""));
        }
        assertThat(g2.resetBlocks()).isEqualTo(8);
    }

    @Test
    void scrape_acceptOpenMetrics_openMetricsFormat() {
        BlockManager g1 = manager(StorageTier.G1, 4);
        URI metrics = start(b -> b.metrics(registry));
        TestBlocks.closeAll(TestBlocks.allocate(g1, 2));

        // the Accept header Prometheus itself sends
        SseProbe.Answer scrape = SseProbe.get(
                metrics,
                Map.of(
                        "Accept",
                        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
                                + "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));

        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.headers().get("Content-Type"))
                .isEqualTo("application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertThat(scrape.body())
                .contains("# TYPE kvbm_allocations counter\n")
                .contains("kvbm_allocations_total{pool=\"G1\",worker_id=\"7\"} 2.0\n")
                .contains("kvbm_reset_pool_size{pool=\"G1\",worker_id=\"7\"} 4.0\n")
                .endsWith("# EOF\n");
    }

    @Test
    void scrape_onTheEventLoopItself_passesBlockHound() {
        // The default moves the scrape to boundedElastic; this checks that it would not block an event loop either,
        // so the choice is about latency of the streams sharing the loop, not about correctness.
        BlockManager g1 = manager(StorageTier.G1, 4);
        URI metrics = start(b -> b.metrics(registry).scrapeScheduler(Schedulers.immediate()));
        TestBlocks.closeAll(TestBlocks.allocate(g1, 1));

        SseProbe.Answer scrape = SseProbe.get(metrics, Map.of());

        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.body()).contains("kvbm_allocations_total{pool=\"G1\",worker_id=\"7\"} 1.0");
    }

    @Test
    void metrics_notConfigured_notFound() {
        BlockManager g1 = TestManagers.create(4);
        KvbmHttpServer.Builder builder = KvbmHttpServer.builder().events(g1);
        server = builder.build().start().block(TestBlocks.TIMEOUT);

        assertThat(SseProbe.get(server.uri().resolve("/metrics"), Map.of()).status())
                .isEqualTo(404);
    }
}
