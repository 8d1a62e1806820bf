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
 *   <li>{@link #lineage()} — only leaves of the prefix forest (no cached child), oldest first (the default);
 *   <li>{@link #lru()} — the block released longest ago goes first;
 *   <li>{@link #fifo()} — the block that entered the cache first goes first; hits do not refresh it;
 *   <li>{@link #lineageFifo()} — the same leaves-only rule, leaves in the order they became leaves;
 *   <li>{@link #multiLru()} — four LRU levels by access frequency, the coldest first;
 *   <li>{@link #lineageLfu()} — leaves only, by release order plus a bonus per doubling of access frequency, a
 *       request's dead last block first.
 * </ul>
 *
 * {@link #of(String, Function)} plugs in a custom {@link InactiveIndex}.
 */
public final class EvictionPolicy {

    /** The smallest default bonus of {@link #lineageLfu()}, in block releases. */
    private static final int DEFAULT_MIN_FREQUENCY_BONUS = 10_000;

    private static final EvictionPolicy LRU = new EvictionPolicy("lru", c -> new LruInactiveIndex(c.blockCount()));
    private static final EvictionPolicy FIFO = new EvictionPolicy("fifo", c -> new FifoInactiveIndex(c.blockCount()));
    private static final EvictionPolicy MULTI_LRU = multiLru(3, 8, 15);
    private static final EvictionPolicy LINEAGE = new EvictionPolicy(
            "lineage", c -> new LineageInactiveIndex(c.blockCount(), LineageInactiveIndex.LeafOrder.TICK));
    private static final EvictionPolicy LINEAGE_FIFO = new EvictionPolicy(
            "lineage-fifo", c -> new LineageInactiveIndex(c.blockCount(), LineageInactiveIndex.LeafOrder.FIFO));
    private static final EvictionPolicy LINEAGE_LFU = new EvictionPolicy(
            "lineage-lfu",
            c -> new LineageLfuInactiveIndex(
                    c.blockCount(), c.frequencyTracker(), Math.max(c.blockCount(), DEFAULT_MIN_FREQUENCY_BONUS)),
            true);

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
     * Returns the frequency-aware policy with kvbm's thresholds 3, 8 and 15: see {@link #multiLru(int, int, int)}.
     *
     * @return the multi-level LRU policy with default thresholds
     */
    public static EvictionPolicy multiLru() {
        return MULTI_LRU;
    }

    /**
     * Returns a frequency-aware policy: four LRU levels, the coldest evicted first.
     *
     * <p>When a block is released, the registry's frequency estimate {@code f} of its hash (see
     * {@link io.kvbm.frequency.FrequencyTracker}) places it in a level once: {@code f < t1} cold, {@code f < t2} warm,
     * {@code f < t3} hot, else very hot. Every cold block is evicted before any warm one, and so on; within a level the
     * block released longest ago goes first. A freshly registered hash counts 1, so with the default thresholds it
     * starts cold and climbs as lookups hit it. O(1) per operation.
     *
     * <p>The manager's registry MUST have a frequency tracker ({@code BlockRegistry.builder().frequencyTracker(...)});
     * building a manager with this policy and a registry without one fails.
     *
     * @param t1 lowest frequency of the warm level
     * @param t2 lowest frequency of the hot level
     * @param t3 lowest frequency of the very hot level
     * @return the policy
     * @throws IllegalArgumentException unless {@code 1 <= t1 < t2 < t3 <= 15}
     */
    public static EvictionPolicy multiLru(int t1, int t2, int t3) {
        if (t1 < 1 || t1 >= t2 || t2 >= t3 || t3 > 15) {
            throw new IllegalArgumentException(
                    "multiLru thresholds must satisfy 1 <= t1 < t2 < t3 <= 15, got " + t1 + ", " + t2 + ", " + t3);
        }
        return new EvictionPolicy(
                "multiLru(" + t1 + "," + t2 + "," + t3 + ")",
                c -> new MultiLruInactiveIndex(c.blockCount(), c.frequencyTracker(), t1, t2, t3),
                true);
    }

    /**
     * Returns the lineage policy: only a <em>leaf</em> of the prefix forest (a cached block with no cached or active
     * child linked below it) can be evicted, so a cached prefix is never hollowed out in the middle, and among leaves the one that
     * entered the cache first goes first. A parent keeps its place while its children are cached, so when the last
     * child goes the parent is usually next: chains are evicted tail to root, oldest chain first. A cache hit makes a
     * block active; its next release gives it a new place. kvbm's default backend (lineage, tick order). O(log n) per
     * operation; 150 to 200 bytes per block, mostly tree nodes pre-sized for twice the block count ({@link #lru()}
     * needs about 30).
     *
     * @return the shared lineage policy
     */
    public static EvictionPolicy lineage() {
        return LINEAGE;
    }

    /**
     * Returns the lineage policy with first-in-first-out leaves: like {@link #lineage()} only leaves are evicted, but
     * in the order they <em>became</em> leaves, so a parent exposed by evicting its last child queues behind every
     * other leaf and chains are evicted round robin. kvbm's lineage backend with FIFO order. O(1) amortized per
     * operation; memory as for {@link #lineage()}.
     *
     * @return the shared lineage-FIFO policy
     */
    public static EvictionPolicy lineageFifo() {
        return LINEAGE_FIFO;
    }

    /**
     * Returns the frequency-aware lineage policy with the default bonus: {@code max(blockCount, 10 000)} releases per
     * doubling of a block's access frequency. See {@link #lineageLfu(int)}.
     *
     * <p>The default suits traffic that reuses a prefix about ten thousand block releases later, or later than a
     * cache's worth of releases: the reuse distance of the Mooncake conversation trace, where it reaches about half of
     * Belady's hit rate at the paper's capacity, against 39 % for {@link #lru()} (see {@code docs/policies.md}).
     *
     * @return the shared lineage-LFU policy
     */
    public static EvictionPolicy lineageLfu() {
        return LINEAGE_LFU;
    }

    /**
     * Returns a frequency-aware lineage policy: only leaves of the prefix forest are evicted, as in {@link #lineage()},
     * and among them the one whose <em>expiry</em> comes first.
     *
     * <p>A block's expiry is fixed when it is released into the inactive pool: the number of block releases before it,
     * plus {@code frequencyBonus × log2(f)}, where {@code f} is the registry's frequency estimate of its hash (clamped
     * to {@code [1, 15]}). A block used twice therefore outlives a once-used block released up to {@code
     * frequencyBonus} releases after it, a block used four times {@code 2 × frequencyBonus}, and so on, while blocks
     * that are no longer used still expire. One exception: a never-seen-before block that arrives as a leaf while its
     * parent is still held (a request's last, usually partial, block, since requests release tail first; or a new root
     * released alone) expires at once: a later turn of a conversation rewrites that block. A hit makes a block active;
     * its next release gives it a new expiry.
     *
     * <p>Choose {@code frequencyBonus} near the number of block releases between two uses of a reused prefix (two
     * turns of a conversation): much smaller and the policy behaves as {@link #lineage()}, much larger and blocks that
     * were popular once crowd out recent ones. O(log n) per operation, no allocation after construction; memory as
     * for {@link #lineage()}.
     *
     * <p>The manager's registry MUST have a frequency tracker, as for {@link #multiLru(int, int, int)}.
     *
     * @param frequencyBonus block releases gained per doubling of the access frequency
     * @return the policy
     * @throws IllegalArgumentException unless {@code frequencyBonus >= 1}
     */
    public static EvictionPolicy lineageLfu(int frequencyBonus) {
        if (frequencyBonus < 1) {
            throw new IllegalArgumentException("lineageLfu frequencyBonus must be >= 1, got " + frequencyBonus);
        }
        return new EvictionPolicy(
                "lineage-lfu(" + frequencyBonus + ")",
                c -> new LineageLfuInactiveIndex(c.blockCount(), c.frequencyTracker(), frequencyBonus),
                true);
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
    private final boolean requiresFrequencyTracking;

    private EvictionPolicy(String name, Function<Context, InactiveIndex> factory) {
        this(name, factory, false);
    }

    private EvictionPolicy(String name, Function<Context, InactiveIndex> factory, boolean requiresFrequencyTracking) {
        this.name = name;
        this.factory = factory;
        this.requiresFrequencyTracking = requiresFrequencyTracking;
    }

    /**
     * Returns whether this policy reads access frequencies, so that the registry of a manager using it MUST have a
     * frequency tracker.
     *
     * @return {@code true} for {@link #multiLru()} and {@link #lineageLfu()}
     */
    public boolean requiresFrequencyTracking() {
        return requiresFrequencyTracking;
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
     * @throws IllegalArgumentException if the policy needs frequency tracking and the context has none
     */
    public InactiveIndex newIndex(Context context) {
        Objects.requireNonNull(context, "context");
        if (requiresFrequencyTracking && !context.frequencyTracking()) {
            throw new IllegalArgumentException(
                    "eviction policy " + name + " needs a registry with frequency "
                            + "tracking: build it with BlockRegistry.builder().frequencyTracker(FrequencyTracker.tinyLfu(...))");
        }
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
