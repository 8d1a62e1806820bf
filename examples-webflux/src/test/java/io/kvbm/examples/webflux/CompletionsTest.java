package io.kvbm.examples.webflux;

import static io.kvbm.examples.webflux.Completions.followUp;
import static io.kvbm.examples.webflux.Completions.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.examples.webflux.CompletionController.EventView;
import io.kvbm.examples.webflux.Completions.Answer;
import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlockSequence;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server over real HTTP with a model fast enough for functional checks and a timeout long enough that every
 * request is eventually served: 16 blocks of 4 tokens, 20 ms per generated token, 10 s allocation timeout.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "kvbm.block-count=16",
            "kvbm.block-size=4",
            "kvbm.allocation-timeout=10s",
            "kvbm.decode.token-latency=20ms",
            "kvbm.decode.default-tokens=4",
            "kvbm.decode.max-tokens=64"
        })
@AutoConfigureWebTestClient
class CompletionsTest {

    @Autowired
    WebTestClient client;

    @Autowired
    JsonMapper json;

    @Autowired
    BlockManager manager;

    Completions completions;

    @BeforeEach
    void setUp() {
        completions = new Completions(client, json);
    }

    @AfterEach
    void booksBalance() {
        Books.assertBalanced(manager, Duration.ofSeconds(5));
    }

    @Test
    void complete_repeatedPrompt_hitsCachedPrefix() {
        int[] prompt = tokens(1_000, 10); // 2 complete blocks + 2 tokens

        CompletionResponse first = completions.complete(prompt, 0);
        CompletionResponse second = completions.complete(prompt, 0);

        assertThat(first.blocks().prompt()).isEqualTo(2);
        assertThat(first.blocks().prefixHits()).as("first request").isZero();
        assertThat(first.blocks().allocated())
                .as("2 complete blocks + the partial one")
                .isEqualTo(3);
        assertThat(first.blocks().registered()).isEqualTo(2);
        assertThat(second.blocks().prefixHits()).as("second request").isEqualTo(2);
        assertThat(second.blocks().allocated()).as("only the partial block").isEqualTo(1);
        assertThat(second.blocks().registered()).isZero();
    }

    @Test
    void complete_followUpTurn_hitsTheBlocksItsAnswerFilled() {
        int[] prompt = tokens(2_000, 6);
        CompletionResponse answer = completions.complete(prompt, 10); // 16 tokens: 4 complete blocks

        assertThat(answer.tokens()).hasSize(10);
        assertThat(answer.usage().completionTokens()).isEqualTo(10);
        assertThat(answer.blocks().allocated()).isEqualTo(4);
        assertThat(answer.blocks().registered())
                .as("1 prompt block + 3 filled while decoding")
                .isEqualTo(4);

        CompletionResponse next = completions.complete(followUp(prompt, answer.tokens(), tokens(2_100, 3)), 0);
        assertThat(next.blocks().prompt()).isEqualTo(4);
        assertThat(next.blocks().prefixHits()).as("the whole previous turn").isEqualTo(4);
        assertThat(next.blocks().allocated()).isEqualTo(1);
    }

    @Test
    void complete_samePromptTwice_generatesTheSameTokens() {
        int[] prompt = tokens(3_000, 5);

        assertThat(completions.complete(prompt, 6).tokens())
                .containsExactly(completions.complete(prompt, 6).tokens());
    }

    @Test
    void complete_moreRequestsThanBlocks_waitInLineAndAllSucceed() {
        // 12 requests of 4 blocks (8 prompt + 8 generated tokens) on 16 blocks: 4 fit at once, each holds its blocks
        // for about 160 ms of decoding, so the others wait in the manager's queue and are served as blocks come back.
        List<Answer> answers = Flux.range(0, 12)
                .flatMap(
                        i -> Mono.fromCallable(() -> completions.post(tokens(10_000 + 100 * i, 8), 8))
                                .subscribeOn(Schedulers.boundedElastic()),
                        12)
                .collectList()
                .block(Duration.ofSeconds(30));

        assertThat(Completions.statuses(answers)).containsOnly(200);
        assertThat(answers).extracting(a -> a.completion().blocks().allocated()).containsOnly(4);
        assertThat(answers.stream()
                        .mapToDouble(a -> a.completion().timingsMs().queue())
                        .max()
                        .orElseThrow())
                .as("the longest wait for blocks, in ms")
                .isGreaterThan(50);
        client.get()
                .uri("/metrics")
                .exchange()
                .expectBody(String.class)
                .value(text -> assertThat(text)
                        .as("the manager's timer of allocations that waited and got their blocks")
                        .containsPattern(
                                "kvbm_allocation_wait_seconds_count\\{outcome=\"acquired\",pool=\"G1\"} [1-9]"));
    }

    @Test
    void complete_invalidRequests_answer400() {
        assertProblem(completions.post(new int[0], 1), 400, "prompt must hold at least one token id");
        assertProblem(completions.post(tokens(0, 4), 65), 400, "max_tokens must be in [0, 64], got 65");
        assertProblem(
                completions.post(tokens(0, 60), 8),
                400,
                "the prompt and max_tokens need 17 blocks of 4 tokens, the server has 16");
    }

    @Test
    void events_streamTheBlocksACompletionStored() {
        int[] prompt = tokens(4_000, 8);
        Set<String> expected = TokenBlockSequence.of(prompt, 4, 0).sequenceHashes().stream()
                .map(SequenceHash::toString)
                .collect(Collectors.toSet());
        Flux<ServerSentEvent<EventView>> events = client.get()
                .uri("/events")
                .accept(MediaType.TEXT_EVENT_STREAM)
                .exchange()
                .expectStatus()
                .isOk()
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<EventView>>() {})
                .getResponseBody();

        completions.complete(prompt, 0);

        StepVerifier.create(events.filter(event -> "stored".equals(event.event()))
                        .flatMapIterable(event -> event.data().hashes())
                        .filter(expected::contains)
                        .take(expected.size()))
                .recordWith(HashSet::new)
                .expectNextCount(expected.size())
                .consumeRecordedWith(hashes -> assertThat(hashes).isEqualTo(expected))
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void metrics_servePrometheusTextWithTheManagersMetersAndTheCompletionRequests() {
        completions.complete(tokens(5_000, 4), 0);

        client.get()
                .uri("/metrics")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody(String.class)
                .value(text -> assertThat(text)
                        .contains("kvbm_allocations_total{pool=\"G1\"}")
                        .contains("kvbm_reset_pool_size{pool=\"G1\"}")
                        .contains("kvbm_match_blocks_returned_total{pool=\"G1\"}")
                        .contains("http_server_requests_seconds_count{")
                        .contains("uri=\"/v1/completions\"")
                        .contains("jvm_memory_used_bytes"));
    }

    @Test
    void cache_showsThePoolSizes() {
        client.get()
                .uri("/v1/cache")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.total_blocks")
                .isEqualTo(16)
                .jsonPath("$.block_size")
                .isEqualTo(4)
                .jsonPath("$.stats.pending_allocations")
                .isEqualTo(0);
    }

    private static void assertProblem(Answer answer, int status, String detail) {
        assertThat(answer.status()).as("status of %s", answer).isEqualTo(status);
        assertThat(answer.problem()).containsEntry("detail", detail);
    }
}
