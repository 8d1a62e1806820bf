/**
 * A Spring Boot WebFlux inference-server example: one shared {@link io.kvbm.manager.BlockManager} behind
 * {@code POST /v1/completions}. Start with {@link io.kvbm.examples.webflux.InferenceServerApplication}; the request
 * flow is described in {@link io.kvbm.examples.webflux.CompletionService}.
 */
@NullMarked
package io.kvbm.examples.webflux;

import org.jspecify.annotations.NullMarked;
