package io.kvbm.examples.simulator;

import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.LeakDetection;
import io.kvbm.registry.BlockRegistry;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The eviction policies the simulator can compare, by name. Comparing a new policy is one line in {@link #builtIn()}
 * (or one {@link #add} call on a copy): the simulator builds one fresh {@link BlockManager} per replay from it, with a
 * registry that has a TinyLFU frequency tracker when the policy {@link EvictionPolicy#requiresFrequencyTracking()
 * needs one}.
 */
public final class PolicyRegistry {

    private final Map<String, EvictionPolicy> policies = new LinkedHashMap<>();

    /**
     * Returns every built-in {@link EvictionPolicy}, in the order the reports list them.
     *
     * @return a new registry
     */
    public static PolicyRegistry builtIn() {
        return new PolicyRegistry()
                .add("lineage", EvictionPolicy.lineage())
                .add("lineage-fifo", EvictionPolicy.lineageFifo())
                .add("lru", EvictionPolicy.lru())
                .add("fifo", EvictionPolicy.fifo())
                .add("multi-lru", EvictionPolicy.multiLru())
                .add("lineage-lfu", EvictionPolicy.lineageLfu());
    }

    /**
     * Adds (or replaces) a policy.
     *
     * @param name the name used on the command line and in reports: letters, digits, {@code -} and {@code _}
     * @param policy the policy
     * @return this registry
     */
    public PolicyRegistry add(String name, EvictionPolicy policy) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(policy, "policy");
        if (!name.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("policy name must match [A-Za-z0-9_-]+, got \"" + name + "\"");
        }
        policies.put(name, policy);
        return this;
    }

    /**
     * Returns the names, in registration order.
     *
     * @return an unmodifiable list
     */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(policies.keySet()));
    }

    /**
     * Returns the policy of a name.
     *
     * @param name a registered name
     * @return the policy
     * @throws IllegalArgumentException if unknown, listing the known names
     */
    public EvictionPolicy policy(String name) {
        EvictionPolicy policy = policies.get(name);
        if (policy == null) {
            throw new IllegalArgumentException("unknown policy \"" + name + "\"; known: " + String.join(", ", names()));
        }
        return policy;
    }

    /**
     * Builds a fresh manager for one replay.
     *
     * @param name a registered name
     * @param capacity the block count
     * @param blockSize tokens per block
     * @return a new manager with every block in the reset pool and leak detection off (the replay closes everything)
     */
    public BlockManager newManager(String name, int capacity, int blockSize) {
        EvictionPolicy policy = policy(name);
        BlockRegistry registry = policy.requiresFrequencyTracking()
                ? BlockRegistry.builder()
                        .frequencyTracker(FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.MEDIUM))
                        .build()
                : BlockRegistry.create();
        return BlockManager.builder()
                .blockCount(capacity)
                .blockSize(blockSize)
                .registry(registry)
                .eviction(policy)
                .leakDetection(LeakDetection.DISABLED)
                .build();
    }
}
