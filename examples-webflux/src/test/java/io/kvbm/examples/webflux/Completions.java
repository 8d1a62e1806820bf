package io.kvbm.examples.webflux;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.json.JsonMapper;

/** Posts completions through a {@link WebTestClient} and reads the answers with the application's JSON mapper. */
final class Completions {

    /** One answer: the status, the {@code Retry-After} header, and the body as a completion or a problem. */
    record Answer(
            int status,
            @Nullable String retryAfter,
            @Nullable CompletionResponse completion,
            @Nullable Map<String, Object> problem) {}

    private final WebTestClient client;
    private final JsonMapper json;

    Completions(WebTestClient client, JsonMapper json) {
        this.client = client;
        this.json = json;
    }

    /** Tokens {@code from, from + 1, ..., from + length - 1}. */
    static int[] tokens(int from, int length) {
        return IntStream.range(from, from + length).toArray();
    }

    /** Posts a completion and waits for the answer (call off the event loops). */
    Answer post(int[] prompt, int maxTokens) {
        EntityExchangeResult<byte[]> result = client.post()
                .uri("/v1/completions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("prompt", prompt, "max_tokens", maxTokens))
                .exchange()
                .expectBody(byte[].class)
                .returnResult();
        int status = result.getStatus().value();
        byte[] body = result.getResponseBody();
        String retryAfter = result.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER);
        if (status == 200) {
            return new Answer(status, retryAfter, json.readValue(body, CompletionResponse.class), null);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> problem = body == null ? Map.of() : json.readValue(body, Map.class);
        return new Answer(status, retryAfter, null, problem);
    }

    /** Posts a completion that must succeed and returns its answer. */
    CompletionResponse complete(int[] prompt, int maxTokens) {
        Answer answer = post(prompt, maxTokens);
        if (answer.completion() == null) {
            throw new AssertionError("expected 200, got " + answer);
        }
        return answer.completion();
    }

    /** The prompt of a follow-up turn: the previous prompt, the answer, then {@code more}. */
    static int[] followUp(int[] prompt, int[] answer, int[] more) {
        return IntStream.concat(IntStream.concat(IntStream.of(prompt), IntStream.of(answer)), IntStream.of(more))
                .toArray();
    }

    static List<Integer> statuses(List<Answer> answers) {
        return answers.stream().map(Answer::status).toList();
    }
}
