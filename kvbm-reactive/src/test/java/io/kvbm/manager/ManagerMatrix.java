package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.eviction.InactiveIndex;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** The policy matrix and the book checks shared by the manager invariant tests. */
final class ManagerMatrix {

    /** Every eviction policy × every duplication policy. */
    static final String MATRIX = "io.kvbm.manager.ManagerMatrix#matrix";

    /** Every eviction policy. */
    static final String EVICTION = "io.kvbm.manager.ManagerMatrix#eviction";

    private ManagerMatrix() {}

    static Stream<Arguments> matrix() {
        List<Arguments> cells = new ArrayList<>();
        for (EvictionPolicy eviction : TestManagers.evictionPolicies()) {
            for (DuplicationPolicy duplication : DuplicationPolicy.values()) {
                cells.add(Arguments.of(eviction, duplication));
            }
        }
        return cells.stream();
    }

    static Stream<EvictionPolicy> eviction() {
        return TestManagers.evictionPolicies().stream();
    }

    /** Slot counts in the order RESET, MUTABLE, STAGED, PRIMARY, DUPLICATE, INACTIVE. */
    static int[] counts(int reset, int mutable, int staged, int primary, int duplicate, int inactive) {
        return new int[] {reset, mutable, staged, primary, duplicate, inactive};
    }

    /**
     * Checks every book of the manager against its slot states (kvbm-core §8 invariant 1): the audit is clean, the
     * states sum to the block count, and the published gauges agree with the states.
     */
    static int[] assertBooks(BlockManager m) {
        assertThat(StoreAudit.violations(m)).as("store audit of %s", m).isEmpty();
        int[] c = StoreAudit.stateCounts(m);
        assertThat(c[0] + c[1] + c[2] + c[3] + c[4] + c[5])
                .as("slots in exactly one state")
                .isEqualTo(m.totalBlocks());
        BlockManagerStats s = m.stats();
        assertThat(m.resetBlocks()).as("reset pool").isEqualTo(c[0]);
        assertThat(s.resetPoolSize()).as("reset gauge").isEqualTo(c[0]);
        assertThat(m.inactiveBlocks()).as("inactive pool").isEqualTo(c[5]);
        assertThat(s.inactivePoolSize()).as("inactive gauge").isEqualTo(c[5]);
        assertThat(m.availableBlocks()).as("available").isEqualTo(c[0] + c[5]);
        assertThat(s.inflightMutable()).as("inflight mutable gauge").isEqualTo(c[1]);
        return c;
    }

    static void assertStates(BlockManager m, int[] expected) {
        assertThat(assertBooks(m))
                .as("RESET, MUTABLE, STAGED, PRIMARY, DUPLICATE, INACTIVE of %s", m)
                .containsExactly(expected);
    }

    static List<SequenceHash> chain(int start, int n) {
        return TestTokens.chain(start, n);
    }

    static void closeMutable(List<MutableBlock> blocks) {
        blocks.forEach(MutableBlock::close);
    }

    static void closeHandles(List<ImmutableBlock> handles) {
        handles.forEach(ImmutableBlock::close);
    }

    /**
     * An insertion-ordered index that can be told to short-change allocations: while {@link #victimsAllowed} is
     * limited it keeps reporting its full size but yields only that many victims, the contract breach kvbm's store
     * guards against with a rollback (kvbm-core §3.4 step 5).
     */
    static final class ShortChangingIndex implements InactiveIndex {

        private final LinkedHashMap<SequenceHash, Integer> entries = new LinkedHashMap<>();
        int victimsAllowed = Integer.MAX_VALUE; // set by the test thread between operations it runs itself

        @Override
        public void insert(SequenceHash hash, int blockId) {
            if (entries.containsKey(hash) || entries.containsValue(blockId)) {
                throw new IllegalStateException("duplicate " + hash + " / block " + blockId);
            }
            entries.put(hash, blockId);
        }

        @Override
        public int remove(SequenceHash hash) {
            Integer id = entries.remove(hash);
            return id == null ? NO_BLOCK : id;
        }

        @Override
        public boolean has(SequenceHash hash) {
            return entries.containsKey(hash);
        }

        @Override
        public boolean take(SequenceHash hash, int blockId) {
            return entries.remove(hash, blockId);
        }

        @Override
        public int evict() {
            Iterator<Map.Entry<SequenceHash, Integer>> it = entries.entrySet().iterator();
            if (victimsAllowed == 0 || !it.hasNext()) {
                return NO_BLOCK;
            }
            victimsAllowed--;
            int id = it.next().getValue();
            it.remove();
            return id;
        }

        @Override
        public int size() {
            return entries.size();
        }

        @Override
        public String toString() {
            return "ShortChangingIndex[size=" + entries.size() + "]";
        }
    }
}
