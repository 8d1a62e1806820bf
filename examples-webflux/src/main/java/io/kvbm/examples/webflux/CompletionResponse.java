package io.kvbm.examples.webflux;

/**
 * The answer of {@code POST /v1/completions}: the generated tokens and what the request did to the KV cache.
 *
 * @param tokens the generated token ids (a deterministic function of the prompt, as greedy decoding would be)
 * @param usage the token counts
 * @param blocks the blocks the request needed, found cached, allocated and registered
 * @param timingsMs where the time went, in milliseconds
 */
public record CompletionResponse(int[] tokens, Usage usage, Blocks blocks, Timings timingsMs) {

    /**
     * Token counts.
     *
     * @param promptTokens the prompt's length
     * @param completionTokens the tokens generated
     */
    public record Usage(int promptTokens, int completionTokens) {}

    /**
     * What the request did to the cache.
     *
     * @param blockSize tokens per block
     * @param prompt the prompt's complete blocks: the ones that can be found cached
     * @param prefixHits the leading prompt blocks found cached, whose KV was not recomputed
     * @param allocated the blocks allocated for the rest of the prompt and the output (the partial last block
     *     included)
     * @param registered the complete blocks computed and registered by this request, prompt and output
     */
    public record Blocks(int blockSize, int prompt, int prefixHits, int allocated, int registered) {}

    /**
     * Where the time went.
     *
     * @param match looking up the cached prefix
     * @param queue waiting for blocks (backpressure)
     * @param decode prefill registration plus the simulated decoding
     * @param total the whole request, from subscription to the answer, releasing the blocks included
     */
    public record Timings(double match, double queue, double decode, double total) {}
}
