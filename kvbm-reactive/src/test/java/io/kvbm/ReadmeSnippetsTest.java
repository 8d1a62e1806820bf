package io.kvbm;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.DuplicationPolicy;
import io.kvbm.metrics.KvbmMetrics;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlockSequence;
import io.kvbm.transport.http.KvbmHttpEventClient;
import io.kvbm.transport.http.KvbmHttpServer;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * The code of README.md's usage section, compiled and run (Caffeine's {@code Snippets}): if the API changes, the README
 * breaks here first.
 */
class ReadmeSnippetsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void usage_serveTwoRequestsSharingAPrefix_secondReusesTheCache() {
        BlockRegistry registry = BlockRegistry.create();
        BlockManager g1 = BlockManager.builder()
                .blockCount(4096)
                .blockSize(16)
                .tier(StorageTier.G1)
                .registry(registry)
                .duplicationPolicy(DuplicationPolicy.ALLOW)
                .eviction(EvictionPolicy.lineage())
                .maxPendingAllocations(1024)
                .build();

        int[] prompt = new int[64];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 1000 + i;
        }
        List<ImmutableBlock> first = serve(g1, prompt, 0).block(WAIT);
        assertThat(first).hasSize(4);
        first.forEach(ImmutableBlock::close);

        List<ImmutableBlock> second = serve(g1, prompt, 0).block(WAIT);
        assertThat(second).extracting(ImmutableBlock::blockId).containsExactlyElementsOf(ids(first));
        assertThat(g1.stats().matchBlocksReturned()).isEqualTo(4);
        second.forEach(ImmutableBlock::close);
        g1.close().block(WAIT);
    }

    @Test
    void usage_metricsAndHttp_metricsBinderAndServerServeBothRoutes() {
        // README "Metrics and HTTP" and docs/metrics.md "Binding a manager"; port 0 instead of 9400
        PrometheusMeterRegistry prometheusRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        BlockManager g1 = BlockManager.builder()
                .blockCount(4096)
                .tier(StorageTier.G1)
                .metrics(KvbmMetrics.binder(prometheusRegistry, Tags.of("worker_id", "7")))
                .build();
        KvbmHttpServer server = KvbmHttpServer.builder()
                .port(0)
                .events(g1)
                .metrics(prometheusRegistry)
                .build();
        server.start().block(WAIT);
        try {
            String scrape = HttpClient.create()
                    .get()
                    .uri(server.uri().resolve("/metrics"))
                    .responseContent()
                    .aggregate()
                    .asString()
                    .block(WAIT);
            assertThat(scrape).contains("kvbm_reset_pool_size{pool=\"G1\",worker_id=\"7\"} 4096.0");
            EventBatch first = KvbmHttpEventClient.create(server.uri().resolve("/events/G1"))
                    .events()
                    .blockFirst(WAIT);
            assertThat(first.startsSnapshot()).isTrue();
        } finally {
            server.close().block(WAIT);
            g1.close().block(WAIT);
        }
    }

    @Test
    void usage_withBlocks_releasesEverythingItDidNotRegister() {
        BlockManager g1 = BlockManager.builder().blockCount(8).build();
        Integer result = g1.withBlocks(4, blocks -> Mono.just(blocks.size())).block(WAIT);
        assertThat(result).isEqualTo(4);
        assertThat(g1.availableBlocks()).isEqualTo(8);
    }

    @Test
    void usage_multiLruNeedsATrackedRegistry() {
        BlockRegistry registry = BlockRegistry.builder()
                .frequencyTracker(FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.SMALL))
                .build();
        BlockManager g2 = BlockManager.builder()
                .blockCount(1024)
                .tier(StorageTier.G2)
                .registry(registry)
                .eviction(EvictionPolicy.multiLru())
                .build();
        List<MutableBlock> blocks = g2.allocate(2, Duration.ofMillis(50)).block(WAIT);
        blocks.forEach(MutableBlock::close);
        assertThat(g2.availableBlocks()).isEqualTo(1024);
    }

    /** The README's request flow. */
    private static Mono<List<ImmutableBlock>> serve(BlockManager g1, int[] promptTokens, long salt) {
        TokenBlockSequence tokens = TokenBlockSequence.of(promptTokens, g1.blockSize(), salt);
        List<SequenceHash> hashes = tokens.sequenceHashes();

        return g1.match(hashes)
                .collectList()
                .flatMap(hits -> g1.allocate(hashes.size() - hits.size())
                        .flatMap(fresh -> {
                            List<CompleteBlock> staged = new ArrayList<>();
                            for (int i = 0; i < fresh.size(); i++) {
                                staged.add(fresh.get(i).complete(tokens.blocks().get(hits.size() + i)));
                            }
                            return g1.registerAll(staged);
                        })
                        .map(computed -> {
                            List<ImmutableBlock> all = new ArrayList<>(hits);
                            all.addAll(computed);
                            return all;
                        }));
    }

    private static List<Integer> ids(List<ImmutableBlock> blocks) {
        List<Integer> ids = new ArrayList<>();
        blocks.forEach(b -> ids.add(b.blockId()));
        return ids;
    }
}
