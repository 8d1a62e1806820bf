package io.kvbm.eviction;

/** The {@link InactiveIndex} contract for the lineage (FIFO leaf order) policy. */
class LineageFifoInactiveIndexContractTest extends InactiveIndexContractTest {

    @Override
    protected InactiveIndex newIndex(int blockCount) {
        return newIndex(EvictionPolicy.lineageFifo(), blockCount);
    }

    @Override
    protected void checkInternals(InactiveIndex index) {
        ((LineageInactiveIndex) index).checkInvariants();
    }
}
