package io.kvbm.eviction;

import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;

/**
 * The {@link InactiveIndex} contract for the multi-level LRU policy, over a real TinyLFU tracker that nobody touches:
 * every hash estimates 0, so this exercises the cold level; {@link MultiLruInactiveIndexTest} covers the levels.
 */
class MultiLruInactiveIndexContractTest extends InactiveIndexContractTest {

    @Override
    protected InactiveIndex newIndex(int blockCount) {
        return EvictionPolicy.multiLru()
                .newIndex(new EvictionPolicy.Context(
                        blockCount, FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.SMALL), true));
    }
}
