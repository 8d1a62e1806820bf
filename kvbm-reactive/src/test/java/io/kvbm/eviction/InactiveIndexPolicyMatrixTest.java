package io.kvbm.eviction;

import static io.kvbm.eviction.InactiveIndexContractTest.drain;
import static io.kvbm.eviction.TestHashes.roots;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;
import io.kvbm.testing.EvictionPolicies;
import io.kvbm.testing.TestManagers;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The {@link InactiveIndex} contract checked through the public factory over {@link TestManagers#evictionPolicies()},
 * so that a policy added there is checked without writing a subclass of {@link InactiveIndexContractTest}.
 */
class InactiveIndexPolicyMatrixTest {

    private static final int BLOCKS = 16;

    private static InactiveIndex newIndex(EvictionPolicy policy) {
        return policy.requiresFrequencyTracking()
                ? policy.newIndex(new EvictionPolicy.Context(
                        BLOCKS, FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.SMALL), true))
                : policy.newIndex(new EvictionPolicy.Context(BLOCKS, FrequencyTracker.noop(), false));
    }

    @EvictionPolicies
    void evict_whileNonEmpty_alwaysYieldsAVictim(EvictionPolicy policy) {
        InactiveIndex index = newIndex(policy);
        SplittableRandom random = new SplittableRandom(policy.name().hashCode());
        List<SequenceHash> h = roots(0, BLOCKS);
        List<Integer> free = new ArrayList<>();
        for (int id = 0; id < BLOCKS; id++) {
            free.add(id);
        }
        int inserted = 0;
        for (int step = 0; step < 400; step++) {
            if (!free.isEmpty() && random.nextBoolean()) {
                int id = free.remove(random.nextInt(free.size()));
                index.insert(h.get(id), id);
                inserted++;
            } else {
                int size = index.size();
                int victim = index.evict();
                if (size > 0) {
                    assertThat(victim).as("step %d", step).isBetween(0, BLOCKS - 1);
                    assertThat(index.has(h.get(victim))).isFalse();
                    free.add(victim);
                    assertThat(index.size()).isEqualTo(size - 1);
                } else {
                    assertThat(victim).isEqualTo(InactiveIndex.NO_BLOCK);
                }
            }
        }
        assertThat(inserted).isPositive();
    }

    @EvictionPolicies
    void allocate_sizeAtLeastN_yieldsExactlyN(EvictionPolicy policy) {
        InactiveIndex index = newIndex(policy);
        List<SequenceHash> h = roots(0, BLOCKS);
        for (int id = 0; id < BLOCKS; id++) {
            index.insert(h.get(id), id);
        }
        List<Integer> victims = new ArrayList<>();

        assertThat(index.allocate(10, victims::add)).isEqualTo(10);
        assertThat(index.allocate(10, victims::add)).isEqualTo(6);

        assertThat(victims).doesNotHaveDuplicates().hasSize(BLOCKS);
    }

    @EvictionPolicies
    void has_interleavedWithInserts_doesNotChangeEvictionOrder(EvictionPolicy policy) {
        InactiveIndex probed = newIndex(policy);
        InactiveIndex untouched = newIndex(policy);
        List<SequenceHash> h = roots(0, BLOCKS);
        for (int id = 0; id < BLOCKS; id++) {
            probed.insert(h.get(id), id);
            untouched.insert(h.get(id), id);
            for (int j = 0; j <= id; j += 3) {
                assertThat(probed.has(h.get(j))).isTrue();
            }
        }

        assertThat(drain(probed)).isEqualTo(drain(untouched));
    }

    @EvictionPolicies
    void findMatches_stopsAtFirstMiss_scanMatchesDoesNot(EvictionPolicy policy) {
        InactiveIndex index = newIndex(policy);
        List<SequenceHash> h = roots(0, 5);
        for (int id : new int[] {0, 1, 3, 4}) {
            index.insert(h.get(id), id);
        }
        List<Integer> found = new ArrayList<>();

        assertThat(index.findMatches(h, found::add)).isEqualTo(2);
        assertThat(found).containsExactly(0, 1);
        found.clear();
        assertThat(index.scanMatches(h, found::add)).isEqualTo(2);
        assertThat(found).containsExactly(3, 4);
        assertThat(index.size()).isZero();
    }

    @EvictionPolicies
    void insert_presentHashOrBlock_throwsAndKeepsIndex(EvictionPolicy policy) {
        InactiveIndex index = newIndex(policy);
        List<SequenceHash> h = roots(0, 3);
        index.insert(h.get(0), 0);

        assertThatThrownBy(() -> index.insert(h.get(0), 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> index.insert(h.get(1), 0)).isInstanceOf(IllegalStateException.class);

        assertThat(index.size()).isEqualTo(1);
        assertThat(index.take(h.get(0), 0)).isTrue();
        assertThat(index.size()).isZero();
    }

    @EvictionPolicies
    void forget_absentBlock_leavesOthersAlone(EvictionPolicy policy) {
        InactiveIndex index = newIndex(policy);
        List<SequenceHash> h = roots(0, 3);
        index.insert(h.get(0), 0);
        index.insert(h.get(1), 1);
        index.remove(h.get(1));

        index.forget(1);
        index.forget(2);

        assertThat(index.size()).isEqualTo(1);
        assertThat(drain(index)).containsExactly(0);
    }

    @Test
    void of_invalidArguments_fail() {
        assertThatThrownBy(() -> EvictionPolicy.of(" ", c -> null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blank");
        assertThatThrownBy(() -> EvictionPolicy.of(null, c -> null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> EvictionPolicy.of("x", null)).isInstanceOf(NullPointerException.class);
        EvictionPolicy broken = EvictionPolicy.of("broken", c -> null);
        assertThatThrownBy(() -> newIndex(broken))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("broken");
        assertThatThrownBy(() -> new EvictionPolicy.Context(0, FrequencyTracker.noop(), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }

    @Test
    void builtInPolicies_calledTwice_returnSharedNamedInstances() {
        assertThat(EvictionPolicy.lru()).isSameAs(EvictionPolicy.lru());
        assertThat(EvictionPolicy.lru().name()).isEqualTo("lru");
        assertThat(EvictionPolicy.fifo().name()).isEqualTo("fifo");
        assertThat(EvictionPolicy.fifo()).hasToString("EvictionPolicy[fifo]");
        assertThat(newIndex(EvictionPolicy.lru())).isNotSameAs(newIndex(EvictionPolicy.lru()));
    }
}
