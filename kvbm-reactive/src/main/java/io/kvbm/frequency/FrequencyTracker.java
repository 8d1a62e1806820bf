package io.kvbm.frequency;

import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.Objects;

/**
 * Counts how often each sequence hash is accessed, approximately, so that eviction policies can keep popular blocks.
 *
 * <p>The {@link io.kvbm.registry.BlockRegistry} touches its tracker when a hash is registered for the first time and
 * the {@link io.kvbm.manager.BlockManager} touches it once per lookup hit (never from presence checks, weak upgrades
 * or eviction policies, which only read {@link #count(SequenceHash)}). Managers that share a registry call the tracker from their own drain loops, which may
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
     * Records one access to each of {@code hashes}, in order: exactly {@link #touch(SequenceHash)} for each element,
     * which is what this default does. A match calls it once with all its hits, so an implementation may amortize
     * per-call costs (a writer flag, a lock) over the batch; it MUST still count every element.
     *
     * @param hashes the accessed hashes, none null
     */
    default void touchAll(List<SequenceHash> hashes) {
        for (int i = 0, n = hashes.size(); i < n; i++) {
            touch(hashes.get(i));
        }
    }

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

    /**
     * Returns a TinyLFU tracker: a {@link FrequencySketch} of 4-bit counters, aged every 10 × capacity touches, safe
     * for concurrent use without locks. Touches are applied by whichever thread holds the sketch's writer flag —
     * normally the drain loop of the manager that is touching; a touch that finds the flag taken by another thread
     * goes through a small lossy buffer and may be dropped under heavy contention.
     *
     * @param capacity the size preset
     * @return a new tracker
     */
    static FrequencyTracker tinyLfu(FrequencyTrackingCapacity capacity) {
        Objects.requireNonNull(capacity, "capacity");
        return new TinyLfuTracker(capacity.capacity());
    }

    /**
     * Returns a TinyLFU tracker sized for {@code capacity} distinct hashes; see
     * {@link #tinyLfu(FrequencyTrackingCapacity)}.
     *
     * @param capacity in {@code [1, 2^30]}
     * @return a new tracker
     * @throws IllegalArgumentException if out of range
     */
    static FrequencyTracker tinyLfu(long capacity) {
        return new TinyLfuTracker(capacity);
    }
}
