package io.kvbm.examples.webflux;

import org.jspecify.annotations.Nullable;

/**
 * The body of {@code POST /v1/completions}, in the shape of the OpenAI completions API with a tokenized prompt:
 * {@code {"prompt": [1, 2, 3], "max_tokens": 16}}.
 *
 * @param prompt the prompt's token ids, at least one
 * @param maxTokens how many tokens to generate, in {@code [0, kvbm.decode.max-tokens]}; the server's
 *     {@code kvbm.decode.default-tokens} when absent
 */
public record CompletionRequest(
        int @Nullable [] prompt, @Nullable Integer maxTokens) {}
