package io.kvbm.testing;

import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.tokens.SequenceHash;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link FrequencyTracker} that counts every touch exactly, so tests can assert who touches the tracker and how
 * often (kvbm's "metered tracker"). A real sketch saturates and decays; this one never forgets, which is the point.
 *
 * <p>Thread-safe and non-blocking enough for the drain loop: managers sharing a registry touch it from their own
 * loops concurrently.
 */
public final class CountingFrequencyTracker implements FrequencyTracker {

    private final ConcurrentHashMap<SequenceHash, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    @Override
    public void touch(SequenceHash hash) {
        counts.computeIfAbsent(hash, h -> new AtomicInteger()).incrementAndGet();
        total.incrementAndGet();
    }

    @Override
    public int count(SequenceHash hash) {
        AtomicInteger c = counts.get(hash);
        return c == null ? 0 : c.get();
    }

    /** Returns the number of touches of every hash together. */
    public int total() {
        return total.get();
    }

    /** Returns a copy of the per-hash counts. */
    public Map<SequenceHash, Integer> snapshot() {
        Map<SequenceHash, Integer> copy = new HashMap<>();
        counts.forEach((h, c) -> copy.put(h, c.get()));
        return copy;
    }

    @Override
    public String toString() {
        return "CountingFrequencyTracker[total=" + total.get() + ", hashes=" + counts.size() + "]";
    }
}
