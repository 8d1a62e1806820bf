package io.kvbm.examples.webflux;

import io.kvbm.manager.BlockManager;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The server's settings, bound from the {@code kvbm.*} properties ({@code application.properties}, the command line
 * {@code --kvbm.block-count=1024}, or the environment {@code KVBM_BLOCK_COUNT=1024}).
 *
 * @param blockCount the blocks of the one shared {@link BlockManager}, in {@code [1, 16777216]}
 * @param blockSize the tokens per block, a power of two in {@code [1, 1024]}
 * @param maxPendingAllocations allocations that may wait for blocks at once; more are answered 503 at once
 * @param allocationTimeout how long a request may wait for its blocks before it is answered 503, positive
 * @param retryAfter the {@code Retry-After} of a 503, in whole seconds (at least 1)
 * @param decode how the simulated model decodes
 */
@ConfigurationProperties("kvbm")
public record KvbmProperties(
        @DefaultValue("256") int blockCount,
        @DefaultValue("16") int blockSize,
        @DefaultValue("1024") int maxPendingAllocations,
        @DefaultValue("2s") Duration allocationTimeout,
        @DefaultValue("1s") Duration retryAfter,
        @DefaultValue Decode decode) {

    /**
     * Checks the settings that the manager's builder does not check itself.
     *
     * @param blockCount the blocks
     * @param blockSize the tokens per block
     * @param maxPendingAllocations the waiting allocations allowed
     * @param allocationTimeout the longest wait for blocks
     * @param retryAfter the delay a 503 asks the client to wait
     * @param decode the simulated model
     */
    public KvbmProperties {
        requirePositive("kvbm.allocation-timeout", allocationTimeout);
        if (retryAfter.toSeconds() < 1) {
            throw new IllegalArgumentException("kvbm.retry-after must be at least 1s, got " + retryAfter);
        }
    }

    /**
     * The simulated model: every generated token takes {@code tokenLatency}, without holding a thread.
     *
     * @param tokenLatency the time one generated token takes, zero or more
     * @param defaultTokens the tokens generated when a request does not say, in {@code [0, maxTokens]}
     * @param maxTokens the most tokens one request may ask for, at least 0
     */
    public record Decode(
            @DefaultValue("20ms") Duration tokenLatency,
            @DefaultValue("16") int defaultTokens,
            @DefaultValue("512") int maxTokens) {

        /**
         * Checks the settings.
         *
         * @param tokenLatency the time per token
         * @param defaultTokens the default output length
         * @param maxTokens the longest output allowed
         */
        public Decode {
            if (tokenLatency.isNegative()) {
                throw new IllegalArgumentException(
                        "kvbm.decode.token-latency must not be negative, got " + tokenLatency);
            }
            if (maxTokens < 0) {
                throw new IllegalArgumentException("kvbm.decode.max-tokens must be at least 0, got " + maxTokens);
            }
            if (defaultTokens < 0 || defaultTokens > maxTokens) {
                throw new IllegalArgumentException(
                        "kvbm.decode.default-tokens must be in [0, " + maxTokens + "], got " + defaultTokens);
            }
        }
    }

    private static void requirePositive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
