package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ActiveMap} against a {@link HashMap} model: random puts and removes over a small key space (so probe runs
 * collide, wrap around and get shifted back by deletions), checking every key after each step.
 */
class ActiveMapTest {

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {1, 2, 3, 42, 1337})
    void randomPutsAndRemoves_agreeWithAHashMap(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<SequenceHash> keys = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            keys.add(SequenceHash.of(random.nextInt(1 << 10), random.nextLong(), random.nextLong()));
        }
        ActiveMap map = new ActiveMap();
        Map<SequenceHash, ActiveEntry> model = new HashMap<>();
        for (int step = 0; step < 5_000; step++) {
            SequenceHash key = keys.get(random.nextInt(keys.size()));
            if (random.nextInt(3) != 0) {
                ActiveEntry entry = new ActiveEntry(step, key, null);
                map.put(entry);
                model.put(key, entry);
            } else {
                assertThat(map.remove(key)).isEqualTo(model.remove(key) != null);
            }
            assertThat(map.size()).isEqualTo(model.size());
            for (SequenceHash k : keys) {
                assertThat(map.get(k)).isSameAs(model.get(k));
            }
        }
        List<ActiveEntry> all = new ArrayList<>();
        map.forEach(all::add);
        assertThat(all).containsExactlyInAnyOrderElementsOf(model.values());
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 15, 16, 17, 1000})
    void growsAndKeepsEveryEntry(int n) {
        ActiveMap map = new ActiveMap();
        List<ActiveEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ActiveEntry e = new ActiveEntry(i, SequenceHash.of(i, i * 31L, 7), null);
            entries.add(e);
            map.put(e);
        }
        assertThat(map.size()).isEqualTo(n);
        for (ActiveEntry e : entries) {
            assertThat(map.get(SequenceHash.of(e.blockId, e.blockId * 31L, 7))).isSameAs(e);
        }
        for (ActiveEntry e : entries) {
            assertThat(map.remove(e.hash)).isTrue();
        }
        assertThat(map.size()).isZero();
        assertThat(map.get(entries.get(0).hash)).isNull();
    }
}
