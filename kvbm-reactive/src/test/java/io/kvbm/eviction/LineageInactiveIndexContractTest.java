package io.kvbm.eviction;

/** The {@link InactiveIndex} contract for the lineage (tick order) policy. */
class LineageInactiveIndexContractTest extends InactiveIndexContractTest {

    @Override
    protected InactiveIndex newIndex(int blockCount) {
        return newIndex(EvictionPolicy.lineage(), blockCount);
    }

    @Override
    protected void checkInternals(InactiveIndex index) {
        ((LineageInactiveIndex) index).checkInvariants();
    }
}
