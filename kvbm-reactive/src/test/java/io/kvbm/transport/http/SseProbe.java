package io.kvbm.transport.http;

import io.kvbm.event.EventBatch;
import io.kvbm.event.EventCodec;
import io.kvbm.testing.TestBlocks;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.util.Base64;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * A bare HTTP client for the server tests: one request, no reconnect, the raw SSE events (with their {@code id}s) or
 * the status and body of a refusal. What {@link KvbmHttpEventClient} hides, these tests look at.
 */
final class SseProbe {

    private SseProbe() {}

    /** A received frame: the batch and the {@code id} it carried, if any. */
    record Received(@Nullable String id, EventBatch batch) {}

    /** A complete response: status, headers and body. */
    record Answer(int status, HttpHeaders headers, String body) {}

    /** The SSE frames of one GET (fails on a status other than 200). */
    static Flux<Received> frames(URI uri, Map<String, String> headers) {
        return HttpClient.create()
                .headers(h -> headers.forEach(h::set))
                .get()
                .uri(uri)
                .response((response, body) -> {
                    if (response.status().code() != 200) {
                        return Flux.error(new AssertionError("HTTP " + response.status() + " from " + uri));
                    }
                    ServerSentEvents.Parser parser = new ServerSentEvents.Parser();
                    return body.asByteArray()
                            .concatMapIterable(parser::feed)
                            .map(e -> new Received(
                                    e.id(),
                                    EventCodec.decode(Base64.getDecoder().decode(e.data()))));
                });
    }

    /** The headers of the first response to a GET, then the response is abandoned. */
    static HttpHeaders headers(URI uri, Map<String, String> headers) {
        return HttpClient.create()
                .headers(h -> headers.forEach(h::set))
                .get()
                .uri(uri)
                .response((response, body) -> Mono.just(response.responseHeaders()))
                .blockFirst(TestBlocks.TIMEOUT);
    }

    /** The whole answer to a GET (for refusals and /metrics). */
    static Answer get(URI uri, Map<String, String> headers) {
        return HttpClient.create()
                .headers(h -> headers.forEach(h::set))
                .get()
                .uri(uri)
                .responseSingle((response, body) -> body.asString()
                        .defaultIfEmpty("")
                        .map(text -> new Answer(response.status().code(), response.responseHeaders(), text)))
                .block(TestBlocks.TIMEOUT);
    }
}
