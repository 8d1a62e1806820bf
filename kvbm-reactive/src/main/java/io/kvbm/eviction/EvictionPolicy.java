package io.kvbm.eviction;

import io.kvbm.frequency.FrequencyTracker;
import java.util.Objects;
import java.util.function.Function;

/**
 * Chooses which cached block of the inactive pool an allocation evicts when the reset pool is empty.
 *
 * <p>A policy is an immutable, shareable factory: each {@link io.kvbm.manager.BlockManager} built with it creates its
 * own {@link InactiveIndex}. Built-in policies:
 *
 * <ul>
 *   <li>{@link #lru()} — the block released longest ago goes first (the default);
 *   <li>{@link #fifo()} — the block that entered the cache first goes first; hits do not refresh it.
 * </ul>
 *
 * {@link #of(String, Function)} plugs in a custom {@link InactiveIndex}.
 */
public final class EvictionPolicy {

    private static final EvictionPolicy LRU = new EvictionPolicy("lru", c -> new LruInactiveIndex(c.blockCount()));
    private static final EvictionPolicy FIFO = new EvictionPolicy("fifo", c -> new FifoInactiveIndex(c.blockCount()));

    /**
     * Returns the least-recently-released policy: the block whose last holder released it longest ago is evicted
     * first. A cache hit makes a block active; its next release puts it at the most-recent end. Equivalent to kvbm's
     * LRU and hash-map backends. O(1) per operation.
     *
     * @return the shared LRU policy
     */
    public static EvictionPolicy lru() {
        return LRU;
    }

    /**
     * Returns the first-in-first-out policy: blocks are evicted in the order they first entered the inactive pool, and
     * a cache hit does not move a block back. O(log n) per operation.
     *
     * @return the shared FIFO policy
     */
    public static EvictionPolicy fifo() {
        return FIFO;
    }

    /**
     * Returns a policy backed by a custom index.
     *
     * @param name the policy name, shown in {@code toString} and metrics
     * @param factory creates one index per manager; called once at {@code build()}
     * @return the policy
     */
    public static EvictionPolicy of(String name, Function<Context, InactiveIndex> factory) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(factory, "factory");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, got \"" + name + "\"");
        }
        return new EvictionPolicy(name, factory);
    }

    private final String name;
    private final Function<Context, InactiveIndex> factory;

    private EvictionPolicy(String name, Function<Context, InactiveIndex> factory) {
        this.name = name;
        this.factory = factory;
    }

    /**
     * Returns the policy name.
     *
     * @return the name, e.g. {@code "lru"}
     */
    public String name() {
        return name;
    }

    /**
     * Creates the index for one manager.
     *
     * @param context what the index may know about its manager
     * @return a new, empty index
     * @throws IllegalStateException if the factory returns {@code null}
     */
    public InactiveIndex newIndex(Context context) {
        Objects.requireNonNull(context, "context");
        InactiveIndex index = factory.apply(context);
        if (index == null) {
            throw new IllegalStateException("eviction policy " + name + " created a null index");
        }
        return index;
    }

    @Override
    public String toString() {
        return "EvictionPolicy[" + name + "]";
    }

    /**
     * What an index may know about the manager it serves.
     *
     * @param blockCount the manager's number of blocks; the index never holds more
     * @param frequencyTracker the registry's frequency tracker ({@link FrequencyTracker#noop()} without tracking)
     * @param frequencyTracking whether the registry tracks frequencies
     */
    public record Context(int blockCount, FrequencyTracker frequencyTracker, boolean frequencyTracking) {
        /**
         * Validates the context.
         *
         * @param blockCount must be positive
         * @param frequencyTracker must not be null
         * @param frequencyTracking whether tracking is real
         */
        public Context {
            if (blockCount < 1) {
                throw new IllegalArgumentException("blockCount must be positive, got " + blockCount);
            }
            Objects.requireNonNull(frequencyTracker, "frequencyTracker");
        }
    }
}
