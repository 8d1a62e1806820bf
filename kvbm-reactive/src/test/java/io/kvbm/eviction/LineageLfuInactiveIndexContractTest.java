package io.kvbm.eviction;

import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;

/**
 * The {@link InactiveIndex} contract for the lineage-LFU policy, over a real TinyLFU tracker that nobody touches: every
 * hash estimates 0, so every leaf that arrives under an uncached parent is a dead tail and the rest follow tick order;
 * {@link LineageLfuInactiveIndexTest} covers the bonuses.
 */
class LineageLfuInactiveIndexContractTest extends InactiveIndexContractTest {

    @Override
    protected InactiveIndex newIndex(int blockCount) {
        return EvictionPolicy.lineageLfu()
                .newIndex(new EvictionPolicy.Context(
                        blockCount, FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.SMALL), true));
    }

    @Override
    protected void checkInternals(InactiveIndex index) {
        ((LineageLfuInactiveIndex) index).checkInvariants();
    }
}
