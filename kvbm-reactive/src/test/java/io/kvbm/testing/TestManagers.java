package io.kvbm.testing;

import io.kvbm.block.StorageTier;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.DuplicationPolicy;
import io.kvbm.manager.LeakDetection;
import io.kvbm.registry.BlockRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Builds managers for tests and remembers them, so that {@link BlockInvariantsExtension} can check their books after
 * each test. Every manager tracks every guard ({@link LeakDetection#PARANOID}), so a leaked guard is reported with the
 * stack that acquired it.
 */
public final class TestManagers {

    /** The block size of test managers unless a test says otherwise (kvbm's test managers use 4). */
    public static final int BLOCK_SIZE = 4;

    private static final List<BlockManager> CREATED = new CopyOnWriteArrayList<>();

    private TestManagers() {}

    /**
     * A G1 manager of {@code blockCount} blocks of {@link #BLOCK_SIZE} tokens, LRU eviction, ALLOW duplicates, on a
     * private registry with a small frequency tracker.
     */
    public static BlockManager create(int blockCount) {
        return create(blockCount, b -> {});
    }

    /**
     * A manager with the given duplication policy and eviction policy; a policy that reads frequencies gets a
     * registry with a TinyLFU tracker.
     */
    public static BlockManager create(int blockCount, DuplicationPolicy duplication, EvictionPolicy eviction) {
        return create(blockCount, b -> {
            b.duplicationPolicy(duplication).eviction(eviction);
            if (eviction.requiresFrequencyTracking()) {
                b.registry(trackedRegistry());
            }
        });
    }

    /** A registry with a TinyLFU tracker of 8 KiB: tests build thousands of managers. */
    private static BlockRegistry smallTrackedRegistry() {
        return BlockRegistry.builder()
                .frequencyTracker(FrequencyTracker.tinyLfu(1024))
                .build();
    }

    /** A registry with a small TinyLFU frequency tracker. */
    public static BlockRegistry trackedRegistry() {
        return BlockRegistry.builder()
                .frequencyTracker(FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.SMALL))
                .build();
    }

    /** A manager customized by {@code config}, starting from the test defaults. */
    public static BlockManager create(int blockCount, Consumer<BlockManager.Builder> config) {
        BlockManager.Builder builder = BlockManager.builder()
                .registry(smallTrackedRegistry()) // so that any policy, multiLru included, can be configured
                .blockCount(blockCount)
                .blockSize(BLOCK_SIZE)
                .tier(StorageTier.G1)
                .eviction(EvictionPolicy.lru())
                .leakDetection(LeakDetection.PARANOID);
        config.accept(builder);
        BlockManager manager = builder.build();
        CREATED.add(manager);
        return manager;
    }

    /** A manager on a shared registry for the given tier. */
    public static BlockManager create(int blockCount, BlockRegistry registry, StorageTier tier) {
        return create(blockCount, b -> b.registry(registry).tier(tier));
    }

    /** Every built-in eviction policy, for matrix tests (see {@link PolicyMatrix}). */
    public static List<EvictionPolicy> evictionPolicies() {
        return List.of(
                EvictionPolicy.lineage(),
                EvictionPolicy.lineageFifo(),
                EvictionPolicy.lru(),
                EvictionPolicy.fifo(),
                EvictionPolicy.multiLru(),
                EvictionPolicy.lineageLfu());
    }

    /** Returns and forgets the managers created since the last call. */
    static List<BlockManager> drainCreated() {
        List<BlockManager> created = new ArrayList<>(CREATED);
        CREATED.removeAll(created);
        return created;
    }
}
