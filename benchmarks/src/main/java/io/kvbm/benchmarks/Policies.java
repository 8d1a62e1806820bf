package io.kvbm.benchmarks;

import io.kvbm.eviction.EvictionPolicy;

/** Maps the {@code policy} parameter of the benchmarks to the library's eviction policies. */
final class Policies {

    private Policies() {}

    static EvictionPolicy byName(String name) {
        switch (name) {
            case "lru":
                return EvictionPolicy.lru();
            case "fifo":
                return EvictionPolicy.fifo();
            case "multiLru":
                return EvictionPolicy.multiLru();
            case "lineage":
                return EvictionPolicy.lineage();
            case "lineageFifo":
                return EvictionPolicy.lineageFifo();
            case "lineageLfu":
                return EvictionPolicy.lineageLfu();
            default:
                throw new IllegalArgumentException("unknown policy " + name);
        }
    }
}
