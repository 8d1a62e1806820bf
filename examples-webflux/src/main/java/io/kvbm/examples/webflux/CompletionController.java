package io.kvbm.examples.webflux;

import io.kvbm.event.EventBatch;
import io.kvbm.manager.AllocationPendingLimitException;
import io.kvbm.manager.AllocationTimeoutException;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.BlockManagerStats;
import io.kvbm.manager.ManagerClosedException;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.Locale;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The HTTP surface: completions, the cache's event stream and its pool sizes.
 *
 * <p>Errors are RFC 9457 problem details: 400 for a request the server can never serve, 503 with {@code Retry-After}
 * when no blocks were free in time, too many requests were already waiting, or the server is shutting down.
 */
@RestController
public class CompletionController {

    private final CompletionService completions;
    private final BlockManager manager;
    private final String retryAfterSeconds;

    /**
     * Creates the controller.
     *
     * @param completions the completion service
     * @param manager the shared manager
     * @param properties the settings
     */
    public CompletionController(CompletionService completions, BlockManager manager, KvbmProperties properties) {
        this.completions = completions;
        this.manager = manager;
        this.retryAfterSeconds = Long.toString(properties.retryAfter().toSeconds());
    }

    /**
     * Serves a completion; see {@link CompletionService}.
     *
     * @param request the prompt as token ids and the number of tokens to generate
     * @return the generated tokens and what the request did to the cache
     */
    @PostMapping(path = "/v1/completions", produces = MediaType.APPLICATION_JSON_VALUE)
    public Mono<CompletionResponse> complete(@RequestBody CompletionRequest request) {
        return completions.complete(request);
    }

    /**
     * Streams what the cache stores and removes, as Server-Sent Events: first the current content (a
     * {@code cleared} batch without hashes, then {@code stored} batches), then every batch as it closes. A client too
     * slow to keep up is cut off (the manager never waits for it) and should reconnect for a new snapshot.
     *
     * @return the endless event stream
     */
    @GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<ServerSentEvent<EventView>> events() {
        return manager.eventsWithSnapshot()
                .map(batch -> ServerSentEvent.builder(EventView.of(batch))
                        .id(Long.toString(batch.seq()))
                        .event(batch.kind().name().toLowerCase(Locale.ROOT))
                        .build());
    }

    /**
     * Returns the manager's pool sizes and counters.
     *
     * @return a snapshot, each value read independently
     */
    @GetMapping(path = "/v1/cache", produces = MediaType.APPLICATION_JSON_VALUE)
    public CacheView cache() {
        return new CacheView(manager.totalBlocks(), manager.blockSize(), manager.stats());
    }

    @ExceptionHandler(InvalidCompletionException.class)
    ResponseEntity<ProblemDetail> invalid(InvalidCompletionException e) {
        return ResponseEntity.badRequest()
                .body(problem(HttpStatus.BAD_REQUEST, "Invalid completion request", e.getMessage()));
    }

    @ExceptionHandler(AllocationTimeoutException.class)
    ResponseEntity<ProblemDetail> timedOut(AllocationTimeoutException e) {
        return unavailable(
                "No KV-cache blocks free in time", "waited " + e.maxWait().toMillis() + " ms for blocks");
    }

    @ExceptionHandler(AllocationPendingLimitException.class)
    ResponseEntity<ProblemDetail> tooManyWaiting(AllocationPendingLimitException e) {
        return unavailable(
                "Too many requests waiting for KV-cache blocks",
                e.getPendingLimit() + " requests are already waiting for blocks");
    }

    @ExceptionHandler(ManagerClosedException.class)
    ResponseEntity<ProblemDetail> closed(ManagerClosedException e) {
        return unavailable("Shutting down", "the KV-cache manager is closed");
    }

    private ResponseEntity<ProblemDetail> unavailable(String title, String detail) {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, retryAfterSeconds)
                .body(problem(HttpStatus.SERVICE_UNAVAILABLE, title, detail));
    }

    private static ProblemDetail problem(HttpStatus status, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        return problem;
    }

    /**
     * One event batch as JSON.
     *
     * @param instanceId the emitting manager
     * @param tier the storage tier
     * @param seq the batch number, gapless per manager
     * @param kind {@code stored}, {@code removed}, {@code cleared} or {@code shutdown}
     * @param hashes the blocks' sequence hashes in kvbm's text form
     */
    public record EventView(long instanceId, String tier, long seq, String kind, List<String> hashes) {

        static EventView of(EventBatch batch) {
            return new EventView(
                    batch.instanceId(),
                    batch.tier().name(),
                    batch.seq(),
                    batch.kind().name().toLowerCase(Locale.ROOT),
                    batch.hashes().stream().map(SequenceHash::toString).toList());
        }
    }

    /**
     * The manager's size and a snapshot of its counters.
     *
     * @param totalBlocks the blocks it manages
     * @param blockSize tokens per block
     * @param stats pool sizes and counters, named after kvbm's metrics
     */
    public record CacheView(int totalBlocks, int blockSize, BlockManagerStats stats) {}
}
