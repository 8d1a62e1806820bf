package io.kvbm.eviction;

import static io.kvbm.eviction.NodeKeyTable.ABSENT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The open-addressing key table of the lineage index, against a {@link HashMap}. */
class NodeKeyTableTest {

    @Test
    void get_zeroAndExtremeKeys_areOrdinaryKeys() {
        // An empty slot is marked by its value, so key 0 (a root whose hash has 54 zero low bits) must still work.
        NodeKeyTable table = new NodeKeyTable(4);
        table.put(0L, 1);
        table.put(-1L, 2);
        table.put(Long.MIN_VALUE, 3);

        assertThat(table.get(0L)).isEqualTo(1);
        assertThat(table.get(-1L)).isEqualTo(2);
        assertThat(table.get(Long.MIN_VALUE)).isEqualTo(3);
        assertThat(table.get(1L)).isEqualTo(ABSENT);
        assertThat(table.size()).isEqualTo(3);
    }

    @Test
    void remove_otherValue_keepsTheMapping() {
        NodeKeyTable table = new NodeKeyTable(4);
        table.put(42L, 7);

        assertThat(table.remove(42L, 8)).isFalse();
        assertThat(table.remove(43L, 7)).isFalse();
        assertThat(table.get(42L)).isEqualTo(7);
        assertThat(table.remove(42L, 7)).isTrue();
        assertThat(table.get(42L)).isEqualTo(ABSENT);
        assertThat(table.size()).isZero();
    }

    @Test
    void put_presentKeyOrNegativeValue_throws() {
        NodeKeyTable table = new NodeKeyTable(4);
        table.put(42L, 7);

        assertThatThrownBy(() -> table.put(42L, 8)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> table.put(43L, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(table.get(42L)).isEqualTo(7);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void randomPutsAndRemoves_agreeWithAHashMap(long seed) {
        // A small table and few distinct keys: long probe runs, many backward shifts, growth past the plan.
        SplittableRandom random = new SplittableRandom(seed);
        NodeKeyTable table = new NodeKeyTable(2);
        Map<Long, Integer> model = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            long key = random.nextInt(3) == 0 ? random.nextInt(64) : (long) random.nextInt(64) << 54;
            Integer expected = model.get(key);
            if (random.nextBoolean()) {
                if (expected == null) {
                    int value = random.nextInt(1_000);
                    table.put(key, value);
                    model.put(key, value);
                } else {
                    assertThat(table.remove(key, expected)).isTrue();
                    model.remove(key);
                }
            } else {
                assertThat(table.get(key)).isEqualTo(expected == null ? ABSENT : expected);
            }
            assertThat(table.size()).isEqualTo(model.size());
        }
        model.forEach((k, v) -> assertThat(table.get(k)).isEqualTo(v));
    }

    @Test
    void ensureCapacity_keepsEveryMapping() {
        NodeKeyTable table = new NodeKeyTable(2);
        for (int i = 0; i < 100; i++) {
            table.put(i * 0x9E3779B97F4A7C15L, i);
        }
        table.ensureCapacity(10_000);

        for (int i = 0; i < 100; i++) {
            assertThat(table.get(i * 0x9E3779B97F4A7C15L)).isEqualTo(i);
        }
        assertThat(table.size()).isEqualTo(100);
    }
}
