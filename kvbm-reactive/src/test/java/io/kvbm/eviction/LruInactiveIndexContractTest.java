package io.kvbm.eviction;

/** The {@link InactiveIndex} contract for the LRU policy. */
class LruInactiveIndexContractTest extends InactiveIndexContractTest {

    @Override
    protected InactiveIndex newIndex(int blockCount) {
        return newIndex(EvictionPolicy.lru(), blockCount);
    }
}
