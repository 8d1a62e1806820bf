package io.kvbm.frequency;

import io.kvbm.tokens.SequenceHash;

/**
 * Counts how often each sequence hash is accessed, approximately, so that eviction policies can keep popular blocks.
 *
 * <p>The {@link io.kvbm.registry.BlockRegistry} touches its tracker when a hash is registered for the first time and
 * the {@link io.kvbm.manager.BlockManager} touches it once per lookup hit; eviction policies only read
 * {@link #count(SequenceHash)}. Managers that share a registry call the tracker from their own drain loops, which may
 * run on different threads at the same time: implementations MUST be thread-safe and MUST NOT block.
 */
public interface FrequencyTracker {

    /**
     * Records one access to {@code hash}.
     *
     * @param hash the accessed hash
     */
    void touch(SequenceHash hash);

    /**
     * Returns the estimated number of recent accesses to {@code hash}.
     *
     * @param hash the hash to look up
     * @return the estimate, never negative
     */
    int count(SequenceHash hash);

    /**
     * Returns a tracker that records nothing and estimates every hash at 0.
     *
     * @return the shared no-op tracker
     */
    static FrequencyTracker noop() {
        return NoopFrequencyTracker.INSTANCE;
    }
}
