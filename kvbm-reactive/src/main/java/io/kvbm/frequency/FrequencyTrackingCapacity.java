package io.kvbm.frequency;

/**
 * Presets for the size of a TinyLFU tracker, named like kvbm's {@code FrequencyTrackingCapacity}.
 *
 * <p>The capacity is the number of distinct hashes the sketch can tell apart well; pick one close to the number of
 * blocks the tracked tiers hold together. Memory is 8 bytes per unit of capacity.
 */
public enum FrequencyTrackingCapacity {
    /** 2^18 hashes, 2 MiB. */
    SMALL(1L << 18),
    /** 2^21 hashes, 16 MiB. kvbm's default. */
    MEDIUM(1L << 21),
    /** 2^24 hashes, 128 MiB. */
    LARGE(1L << 24);

    private final long capacity;

    FrequencyTrackingCapacity(long capacity) {
        this.capacity = capacity;
    }

    /**
     * Returns the number of distinct hashes of this preset.
     *
     * @return the capacity
     */
    public long capacity() {
        return capacity;
    }
}
