package io.kvbm.examples.webflux;

import io.kvbm.manager.BlockManager;
import io.kvbm.metrics.KvbmMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * A toy LLM inference server on Spring WebFlux whose KV cache is one shared {@link BlockManager}.
 *
 * <p>{@code POST /v1/completions} takes a prompt as token ids, reuses its cached prefix, allocates the rest of its
 * blocks (waiting, with a timeout answered 503), "decodes" tokens on a timer and registers every block it fills, then
 * releases all its blocks, which stay cached for the next request that shares the prefix. {@code GET /events} streams
 * what the cache stores and removes, {@code GET /v1/cache} shows the pool sizes, and {@code GET /metrics} is the
 * Prometheus scrape of Spring Boot Actuator, the manager's meters included. Run it with {@code java -jar
 * examples-webflux/target/kvbm-examples-webflux-0.1.0-SNAPSHOT.jar} (see the README); settings are in
 * {@link KvbmProperties}.
 */
@SpringBootApplication
@EnableConfigurationProperties(KvbmProperties.class)
public class InferenceServerApplication {

    /**
     * Starts the server.
     *
     * @param args Spring Boot's arguments, e.g. {@code --server.port=8080 --kvbm.block-count=1024}
     */
    public static void main(String[] args) {
        SpringApplication.run(InferenceServerApplication.class, args);
    }

    /**
     * Returns the one manager every request shares.
     *
     * <p>{@code destroyMethod} is empty because Spring would otherwise call {@link BlockManager#close()} and drop
     * the {@code Mono} it returns, which does nothing until subscribed; {@link #managerShutdown} closes it instead.
     *
     * <p>Its meters ({@code kvbm_allocations_total{pool="G1"}}, {@code kvbm_reset_pool_size}, the
     * {@code kvbm_allocation_wait_seconds} timer of requests that waited for blocks, ...) are bound with
     * {@link KvbmMetrics} to Spring Boot's registry, so the Actuator scrape at {@code /metrics} shows them next to the
     * HTTP and JVM meters.
     *
     * @param properties the settings
     * @param registry Spring Boot's meter registry
     * @return the manager
     */
    @Bean(destroyMethod = "")
    BlockManager blockManager(KvbmProperties properties, MeterRegistry registry) {
        return BlockManager.builder()
                .blockCount(properties.blockCount())
                .blockSize(properties.blockSize())
                .maxPendingAllocations(properties.maxPendingAllocations())
                .metrics(KvbmMetrics.binder(registry, Tags.empty()))
                .build();
    }

    /**
     * Closes the manager when the application stops, after the web server has stopped taking requests: requests
     * still waiting for blocks then fail, and the event streams end with a {@code SHUTDOWN} batch.
     *
     * @param manager the manager
     * @return the bean whose destruction closes the manager
     */
    @Bean
    DisposableBean managerShutdown(BlockManager manager) {
        // Runs on the thread that closes the context, never on an event loop, so waiting here is fine.
        return () -> manager.close().block(Duration.ofSeconds(10));
    }
}
