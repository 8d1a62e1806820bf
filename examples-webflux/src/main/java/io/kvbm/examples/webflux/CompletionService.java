package io.kvbm.examples.webflux;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.AllocationPendingLimitException;
import io.kvbm.manager.AllocationTimeoutException;
import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Serves completions against the shared {@link BlockManager}.
 *
 * <p>{@link #complete} answers with {@link CompletionResponse}; it fails with {@link InvalidCompletionException} for a
 * request the server can never serve, and with {@link AllocationTimeoutException} or
 * {@link AllocationPendingLimitException} when the blocks are not free in time (the controller turns those into 400
 * and 503). Non-blocking throughout: the waits are the manager's allocation queue and {@code Mono.delay}.
 */
@Service
public class CompletionService {

    /*
     * The request flow
     *
     * 1. The prompt is cut into blocks of kvbm.block-size tokens (TokenBlockSequence) and each complete block gets its
     *    SequenceHash, which names the block's content together with everything before it.
     * 2. match(hashes) finds the longest cached prefix. The hits are held (their KV is reused, nothing recomputed);
     *    holding them also keeps an allocation from evicting them.
     * 3. allocate(rest, timeout) takes the blocks for the rest of the prompt and for the whole output at once, the way
     *    an engine reserves a request's worst case up front: a request that starts decoding never waits again. The
     *    manager queues the allocation in arrival order while blocks are short, which is the server's backpressure;
     *    the timeout is decided inside the manager (AllocationTimeoutException, answered 503 with Retry-After).
     * 4. "Prefill": the prompt's remaining complete blocks are staged with their token blocks and registered at once.
     * 5. "Decode": one Mono.delay per block's worth of generated tokens; every block the output fills is registered
     *    as soon as it is full, so a concurrent request with the same continuation can already match it.
     * 6. Every guard received is handed to a BlockLease at once; Mono.usingWhen releases the lease on completion,
     *    error and cancellation (a client that disconnects), newest block first. Registered blocks stay cached in the
     *    inactive pool for the next request that shares the prefix.
     *
     * Hits are held while waiting in step 3. Requests that together hold most of the pool in hits could therefore wait
     * for each other; the allocation timeout is what breaks such a cycle, so the wait is always bounded here.
     */

    /** The salt of every block's content hash: one model, no per-tenant isolation. */
    private static final long SALT = 0;

    /** The size of the simulated model's vocabulary. */
    private static final int VOCABULARY = 32_000;

    private final BlockManager manager;
    private final KvbmProperties properties;

    /**
     * Creates the service.
     *
     * @param manager the shared manager
     * @param properties the settings
     */
    public CompletionService(BlockManager manager, KvbmProperties properties) {
        this.manager = manager;
        this.properties = properties;
    }

    /**
     * Serves one completion.
     *
     * <p>Subscribing runs the request; each subscription is one request. Emits the answer once every block the request
     * held has been released (handed back to the manager, which may apply it a moment later: see the threading
     * section of {@link BlockManager}). Cancelling stops the decoding and releases the blocks held so far.
     *
     * @param request the request
     * @return a lazy {@link Mono} of the answer
     */
    public Mono<CompletionResponse> complete(CompletionRequest request) {
        return Mono.defer(() -> {
            Run run = new Run(validate(request), outputLength(request));
            return Mono.usingWhen(
                            Mono.fromSupplier(BlockLease::new),
                            run::execute,
                            lease -> Mono.fromRunnable(lease::release),
                            (lease, error) -> Mono.fromRunnable(lease::release),
                            lease -> Mono.fromRunnable(lease::release))
                    // answer after the release, so the next request of this client finds the blocks cached
                    .then(Mono.fromSupplier(run::response));
        });
    }

    private int[] validate(CompletionRequest request) {
        int[] prompt = request.prompt();
        if (prompt == null || prompt.length == 0) {
            throw new InvalidCompletionException("prompt must hold at least one token id");
        }
        return prompt;
    }

    private int outputLength(CompletionRequest request) {
        KvbmProperties.Decode decode = properties.decode();
        Integer asked = request.maxTokens();
        int tokens = asked == null ? decode.defaultTokens() : asked;
        if (tokens < 0 || tokens > decode.maxTokens()) {
            throw new InvalidCompletionException(
                    "max_tokens must be in [0, " + decode.maxTokens() + "], got " + tokens);
        }
        return tokens;
    }

    /** One request's state; its pipeline runs one step at a time, so no step races another. */
    private final class Run {
        private final long start = System.nanoTime();
        private final int blockSize = manager.blockSize();
        private final int promptLength;
        private final int outputLength;
        private final int totalBlocks;
        private final TokenBlockSequence sequence;
        private final int[] output;
        private int generated;
        private int hits;
        private List<MutableBlock> fresh = List.of();
        private int registered;
        private long matched;
        private long allocated;
        private long decoded;

        Run(int[] prompt, int outputLength) {
            this.promptLength = prompt.length;
            this.outputLength = outputLength;
            long tokens = (long) prompt.length + outputLength;
            long blocks = (tokens + blockSize - 1) / blockSize;
            if (blocks > manager.totalBlocks()) {
                throw new InvalidCompletionException("the prompt and max_tokens need " + blocks + " blocks of "
                        + blockSize + " tokens, the server has " + manager.totalBlocks());
            }
            this.totalBlocks = (int) blocks;
            this.sequence = TokenBlockSequence.of(prompt, blockSize, SALT);
            this.output = new int[outputLength];
        }

        Mono<Void> execute(BlockLease lease) {
            return manager.match(sequence.sequenceHashes())
                    .doOnNext(lease::hold)
                    .count()
                    .flatMap(count -> {
                        hits = count.intValue();
                        matched = System.nanoTime();
                        return manager.allocate(totalBlocks - hits, properties.allocationTimeout());
                    })
                    .flatMap(blocks -> {
                        blocks.forEach(lease::hold);
                        fresh = blocks;
                        allocated = System.nanoTime();
                        return registerCompleted(hits, lease);
                    })
                    .thenMany(Flux.fromIterable(decodeSteps()))
                    .concatMap(tokens -> simulateModel(tokens).then(Mono.defer(() -> decode(tokens, lease))))
                    .then(Mono.fromRunnable(() -> decoded = System.nanoTime()));
        }

        /** Registers the sequence's complete blocks from {@code first} on, each in the fresh block it was given. */
        private Mono<Void> registerCompleted(int first, BlockLease lease) {
            List<CompleteBlock> staged = new ArrayList<>();
            for (int i = first; i < sequence.blockCount(); i++) {
                CompleteBlock block = fresh.get(i - hits).complete(sequence.block(i));
                lease.hold(block);
                staged.add(block);
            }
            if (staged.isEmpty()) {
                return Mono.empty();
            }
            registered += staged.size();
            return manager.registerAll(staged)
                    .doOnNext(blocks -> blocks.forEach(lease::hold))
                    .then();
        }

        /** Splits the output into steps that each end where a block fills (or at the end of the output). */
        private List<Integer> decodeSteps() {
            List<Integer> steps = new ArrayList<>();
            int room = blockSize - sequence.partialTokens().length;
            for (int left = outputLength; left > 0; ) {
                int step = Math.min(left, room);
                steps.add(step);
                left -= step;
                room = blockSize;
            }
            return steps;
        }

        private Mono<Long> simulateModel(int tokens) {
            Duration latency = properties.decode().tokenLatency().multipliedBy(tokens);
            return latency.isZero() ? Mono.just(0L) : Mono.delay(latency);
        }

        private Mono<Void> decode(int tokens, BlockLease lease) {
            int[] step = new int[tokens];
            int previous = generated == 0 ? lastPromptToken() : output[generated - 1];
            for (int i = 0; i < tokens; i++) {
                previous = nextToken(previous, sequence.totalTokens() + i);
                step[i] = previous;
            }
            System.arraycopy(step, 0, output, generated, tokens);
            generated += tokens;
            int completed = sequence.extend(step);
            return registerCompleted(sequence.blockCount() - completed, lease);
        }

        private int lastPromptToken() {
            int[] partial = sequence.partialTokens();
            if (partial.length > 0) {
                return partial[partial.length - 1];
            }
            TokenBlock last = sequence.block(sequence.blockCount() - 1);
            return last.token(last.size() - 1);
        }

        private CompletionResponse response() {
            long end = System.nanoTime();
            return new CompletionResponse(
                    output,
                    new CompletionResponse.Usage(promptLength, outputLength),
                    new CompletionResponse.Blocks(blockSize, promptLength / blockSize, hits, fresh.size(), registered),
                    new CompletionResponse.Timings(
                            millis(start, matched),
                            millis(matched, allocated),
                            millis(allocated, decoded),
                            millis(start, end)));
        }
    }

    /** The simulated model: a fixed function of the previous token and the position, like greedy decoding. */
    static int nextToken(int previous, int position) {
        long x = previous * 0x9E3779B97F4A7C15L + position;
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        return (int) Math.floorMod(x ^ (x >>> 33), (long) VOCABULARY);
    }

    private static double millis(long from, long to) {
        return Math.round((to - from) / 10_000.0) / 100.0;
    }
}
