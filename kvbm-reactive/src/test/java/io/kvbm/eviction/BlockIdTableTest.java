package io.kvbm.eviction;

import static io.kvbm.eviction.TestHashes.root;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class BlockIdTableTest {

    @Test
    void putGetRemove_distinctKeys_roundTrip() {
        BlockIdTable table = new BlockIdTable(4);
        table.put(root(0), 10);
        table.put(root(1), 11);

        assertThat(table.get(root(0))).isEqualTo(10);
        assertThat(table.get(root(1))).isEqualTo(11);
        assertThat(table.get(root(2))).isEqualTo(InactiveIndex.NO_BLOCK);
        assertThat(table.remove(root(0))).isEqualTo(10);
        assertThat(table.remove(root(0))).isEqualTo(InactiveIndex.NO_BLOCK);
        assertThat(table.get(root(0))).isEqualTo(InactiveIndex.NO_BLOCK);
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void put_presentKey_throwsNamingKeyAndBlock() {
        BlockIdTable table = new BlockIdTable(4);
        table.put(root(0), 7);

        assertThatThrownBy(() -> table.put(root(0), 8))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(root(0).toString())
                .hasMessageContaining("block 7");
        assertThat(table.get(root(0))).isEqualTo(7);
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void put_beyondCapacity_throws() {
        BlockIdTable table = new BlockIdTable(2);
        table.put(root(0), 0);
        table.put(root(1), 1);

        assertThatThrownBy(() -> table.put(root(2), 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("full");
        assertThat(table.get(root(2))).isEqualTo(InactiveIndex.NO_BLOCK);
    }

    @Test
    void constructor_nonPositiveCapacity_throwsNamingValue() {
        assertThatThrownBy(() -> new BlockIdTable(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }

    @Test
    void clear_full_forgetsEverything() {
        BlockIdTable table = new BlockIdTable(3);
        for (int i = 0; i < 3; i++) {
            table.put(root(i), i);
        }
        table.clear();

        assertThat(table.size()).isZero();
        for (int i = 0; i < 3; i++) {
            assertThat(table.get(root(i))).isEqualTo(InactiveIndex.NO_BLOCK);
        }
        table.put(root(0), 5);
        assertThat(table.get(root(0))).isEqualTo(5);
    }

    static LongStream seeds() {
        return LongStream.range(0, 30).map(i -> 0xB10C_0000L + i);
    }

    /**
     * Keys are chosen so that their home slots crowd into a few neighbouring slots, including the last slot of the
     * table, so that probe runs are long and wrap around: that is where backward-shift deletion can go wrong (a moved
     * key lands before its home, or a key is left behind a hole its lookup stops at).
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomOperations_withCollidingKeys_matchHashMap(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int capacity = 8 + random.nextInt(57);
        BlockIdTable table = new BlockIdTable(capacity);
        int slots = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2;
        List<SequenceHash> pool = collidingKeys(random, slots - 1, capacity + capacity / 2);
        Map<SequenceHash, Integer> model = new HashMap<>();

        for (int step = 0; step < 1500; step++) {
            SequenceHash key = pool.get(random.nextInt(pool.size()));
            String at = "seed " + seed + ", step " + step;
            if (random.nextInt(5) < 3) {
                int value = random.nextInt(1 << 20);
                if (model.containsKey(key) || model.size() == capacity) {
                    assertThatThrownBy(() -> table.put(key, value)).as(at).isInstanceOf(IllegalStateException.class);
                } else {
                    table.put(key, value);
                    model.put(key, value);
                }
            } else {
                Integer removed = model.remove(key);
                assertThat(table.remove(key)).as(at).isEqualTo(removed == null ? InactiveIndex.NO_BLOCK : removed);
            }
            assertThat(table.size()).as(at).isEqualTo(model.size());
            // A broken shift strands some other key of the run: sweep all of them regularly, the touched one always.
            for (SequenceHash k : step % 8 == 0 ? pool : List.of(key)) {
                Integer v = model.get(k);
                assertThat(table.get(k)).as("%s, get %s", at, k).isEqualTo(v == null ? InactiveIndex.NO_BLOCK : v);
            }
        }
    }

    /** Keys whose home slot is one of the three last slots or the first two, mirroring the table's slot function. */
    private static List<SequenceHash> collidingKeys(SplittableRandom random, int mask, int count) {
        List<SequenceHash> keys = new ArrayList<>(count);
        while (keys.size() < count) {
            SequenceHash key = SequenceHash.root(random.nextLong());
            int home = (int) ((key.hashCode() * 0x9E3779B97F4A7C15L) >>> 32) & mask;
            if (home >= mask - 2 || home <= 1) {
                keys.add(key);
            }
        }
        return keys;
    }
}
