package io.kvbm.eviction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MultiLruInactiveIndexTest {

    /** A tracker whose counts the test sets directly. */
    static final class FixedCounts implements FrequencyTracker {
        final Map<SequenceHash, Integer> counts = new HashMap<>();

        @Override
        public void touch(SequenceHash hash) {
            counts.merge(hash, 1, Integer::sum);
        }

        @Override
        public int count(SequenceHash hash) {
            return Math.min(15, counts.getOrDefault(hash, 0));
        }
    }

    @Test
    void levelOf_customThresholds_bucketsLikeKvbm() {
        // kvbm-core §8 invariant 35: thresholds [2,6,15]: counts 0→L0, 2→L1, 6→L2, 15+→L3
        MultiLruInactiveIndex index = new MultiLruInactiveIndex(4, new FixedCounts(), 2, 6, 15);
        assertThat(index.levelOf(0)).isZero();
        assertThat(index.levelOf(1)).isZero();
        assertThat(index.levelOf(2)).isEqualTo(1);
        assertThat(index.levelOf(5)).isEqualTo(1);
        assertThat(index.levelOf(6)).isEqualTo(2);
        assertThat(index.levelOf(14)).isEqualTo(2);
        assertThat(index.levelOf(15)).isEqualTo(3);
    }

    @Test
    void evict_coldBeforeHot_evenWhenHotIsOlder() {
        // kvbm-core §8 invariant 35: cold entries are evicted before hot ones
        FixedCounts counts = new FixedCounts();
        List<SequenceHash> h = TestTokens.roots(9, 4);
        counts.counts.put(h.get(0), 15); // very hot, released first
        counts.counts.put(h.get(1), 8); // hot
        counts.counts.put(h.get(2), 3); // warm
        counts.counts.put(h.get(3), 0); // cold, released last
        MultiLruInactiveIndex index = new MultiLruInactiveIndex(4, counts, 3, 8, 15);
        for (int i = 0; i < 4; i++) {
            index.insert(h.get(i), i);
        }
        List<Integer> order = new ArrayList<>();
        for (int id = index.evict(); id != InactiveIndex.NO_BLOCK; id = index.evict()) {
            order.add(id);
        }
        assertThat(order).containsExactly(3, 2, 1, 0);
    }

    @Test
    void insert_sixtyFourColdBlocks_allFitInOneLevel() {
        // kvbm-core §8 invariant 11: per-level capacity is the block count
        MultiLruInactiveIndex index = new MultiLruInactiveIndex(64, new FixedCounts(), 3, 8, 15);
        List<SequenceHash> hashes = TestTokens.roots(11, 64);
        for (int i = 0; i < 64; i++) {
            index.insert(hashes.get(i), i);
        }
        assertThat(index.levelSize(0)).isEqualTo(64);
        assertThat(index.size()).isEqualTo(64);
        int evicted = index.allocate(64, id -> {});
        assertThat(evicted).isEqualTo(64);
    }

    @Test
    void insert_levelChosenAtInsertTime_notReevaluatedWhileCached() {
        FixedCounts counts = new FixedCounts();
        List<SequenceHash> h = TestTokens.roots(12, 2);
        MultiLruInactiveIndex index = new MultiLruInactiveIndex(2, counts, 3, 8, 15);
        index.insert(h.get(0), 0); // cold at insert
        counts.counts.put(h.get(0), 15); // becomes hot while cached: no effect until its next release
        counts.counts.put(h.get(1), 3);
        index.insert(h.get(1), 1); // warm
        assertThat(index.evict()).isZero();
    }

    @Test
    void multiLru_invalidThresholds_rejectedWithValues() {
        assertThatThrownBy(() -> EvictionPolicy.multiLru(0, 8, 15))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 <= t1 < t2 < t3 <= 15, got 0, 8, 15");
        assertThatThrownBy(() -> EvictionPolicy.multiLru(3, 3, 15)).hasMessageContaining("got 3, 3, 15");
        assertThatThrownBy(() -> EvictionPolicy.multiLru(3, 8, 16)).hasMessageContaining("got 3, 8, 16");
        assertThatThrownBy(() -> EvictionPolicy.multiLru(9, 8, 15)).hasMessageContaining("got 9, 8, 15");
        assertThat(EvictionPolicy.multiLru(1, 2, 15).name()).isEqualTo("multiLru(1,2,15)");
    }

    @Test
    void newIndex_withoutFrequencyTracking_failsNamingTheRemedy() {
        assertThatThrownBy(() -> EvictionPolicy.multiLru()
                        .newIndex(new EvictionPolicy.Context(8, FrequencyTracker.noop(), false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs a registry with frequency tracking");
        assertThat(EvictionPolicy.multiLru().requiresFrequencyTracking()).isTrue();
        assertThat(EvictionPolicy.lru().requiresFrequencyTracking()).isFalse();
    }
}
