package io.kvbm.examples.webflux;

import static io.kvbm.examples.webflux.Completions.tokens;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.kvbm.examples.webflux.Completions.Answer;
import io.kvbm.manager.BlockManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server under more load than it can hold, with a slow model and a short allocation timeout: 16 blocks of 4
 * tokens, 100 ms per generated token, requests wait at most 100 ms for blocks and at most 4 of them wait at once.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "kvbm.block-count=16",
            "kvbm.block-size=4",
            "kvbm.allocation-timeout=100ms",
            "kvbm.max-pending-allocations=4",
            "kvbm.retry-after=2s",
            "kvbm.decode.token-latency=100ms",
            "kvbm.decode.max-tokens=64"
        })
@AutoConfigureWebTestClient
class CompletionsOverloadTest {

    @Autowired
    WebTestClient client;

    @Autowired
    JsonMapper json;

    @Autowired
    BlockManager manager;

    @AfterEach
    void booksBalance() {
        Books.assertBalanced(manager, Duration.ofSeconds(5));
    }

    @Test
    void complete_moreRequestsThanBlocks_someAnswer503WithRetryAfter() {
        // 12 requests of 4 blocks on 16: 4 are served and hold their blocks for 800 ms of decoding; the others wait
        // in line for 100 ms at most (or are turned away at once when 4 already wait), and get a 503.
        Completions completions = new Completions(client, json);
        List<Answer> answers = Flux.range(0, 12)
                .flatMap(
                        i -> Mono.fromCallable(() -> completions.post(tokens(20_000 + 100 * i, 8), 8))
                                .subscribeOn(Schedulers.boundedElastic()),
                        12)
                .collectList()
                .block(Duration.ofSeconds(30));

        List<Integer> statuses = Completions.statuses(answers);
        assertThat(statuses).containsOnly(200, 503).contains(200, 503);
        assertThat(answers.stream().filter(a -> a.status() == 503)).allSatisfy(answer -> {
            assertThat(answer.retryAfter()).as("Retry-After").isEqualTo("2");
            assertThat(answer.problem())
                    .extractingByKey("title")
                    .isIn("No KV-cache blocks free in time", "Too many requests waiting for KV-cache blocks");
        });
        assertThat(answers.stream().filter(a -> a.status() == 200))
                .allSatisfy(answer -> assertThat(answer.completion().usage().completionTokens())
                        .isEqualTo(8));

        client.get()
                .uri("/metrics")
                .exchange()
                .expectBody(String.class)
                .value(text -> assertThat(text)
                        .containsPattern("http_server_requests_seconds_count\\{[^}]*status=\"503\"")
                        .containsPattern(
                                "kvbm_allocation_wait_seconds_count\\{outcome=\"timed_out\",pool=\"G1\"} [1-9]"));
    }

    @Test
    void complete_clientDisconnects_releasesTheBlocksBeforeTheDecodingWouldEnd() {
        // 4 prompt + 60 generated tokens = all 16 blocks, held for 6 s of decoding unless the request is cancelled.
        WebTestClient impatient =
                client.mutate().responseTimeout(Duration.ofMillis(1500)).build();
        Completions completions = new Completions(impatient, json);
        long start = System.nanoTime();
        CompletableFuture<Answer> answer = CompletableFuture.supplyAsync(() -> completions.post(tokens(30_000, 4), 60));

        await("the request holds every block")
                .atMost(Duration.ofSeconds(3))
                .until(() -> manager.availableBlocks() == 0);
        assertThatThrownBy(answer::join)
                .as("the client gives up after 1.5 s and closes the connection")
                .hasRootCauseInstanceOf(TimeoutException.class);

        Books.assertBalanced(manager, Duration.ofSeconds(3));
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("released by the cancellation, not at the end of the decoding")
                .isLessThan(Duration.ofSeconds(6));
    }
}
