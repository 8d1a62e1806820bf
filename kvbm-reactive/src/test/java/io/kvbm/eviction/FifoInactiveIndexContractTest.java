package io.kvbm.eviction;

/** The {@link InactiveIndex} contract for the FIFO policy. */
class FifoInactiveIndexContractTest extends InactiveIndexContractTest {

    @Override
    protected InactiveIndex newIndex(int blockCount) {
        return newIndex(EvictionPolicy.fifo(), blockCount);
    }
}
