package io.kvbm.eviction;

import static io.kvbm.eviction.InactiveIndexContractTest.drain;
import static io.kvbm.eviction.TestHashes.root;
import static io.kvbm.eviction.TestHashes.roots;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LruInactiveIndexTest {

    private final LruInactiveIndex index = new LruInactiveIndex(8);

    @Test
    void evict_afterInserts_returnsVictimsInReleaseOrder() {
        // kvbm-core §8 invariant 33
        index.insert(root(0), 5);
        index.insert(root(1), 2);
        index.insert(root(2), 7);

        assertThat(drain(index)).containsExactly(5, 2, 7);
        assertThat(index.size()).isZero();
    }

    @Test
    void has_present_doesNotChangeEvictionOrder() {
        // kvbm-core §8 invariant 33
        index.insert(root(0), 0);
        index.insert(root(1), 1);
        index.insert(root(2), 2);

        assertThat(index.has(root(0))).isTrue();
        assertThat(index.has(root(2))).isTrue();
        assertThat(index.has(root(3))).isFalse();

        assertThat(drain(index)).containsExactly(0, 1, 2);
    }

    @Test
    void allocate_moreThanSize_returnsEveryEntry() {
        // kvbm-core §8 invariant 33
        index.insert(root(0), 3);
        index.insert(root(1), 4);
        List<Integer> victims = new ArrayList<>();

        assertThat(index.allocate(5, victims::add)).isEqualTo(2);
        assertThat(victims).containsExactly(3, 4);
        assertThat(index.size()).isZero();
    }

    @Test
    void remove_hit_removesEntryAndReturnsItsBlock() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        assertThat(index.remove(root(0))).isZero();
        assertThat(index.has(root(0))).isFalse();
        assertThat(index.remove(root(0))).isEqualTo(InactiveIndex.NO_BLOCK);
        assertThat(index.size()).isEqualTo(1);
        assertThat(drain(index)).containsExactly(1);
    }

    @Test
    void insert_afterHit_goesToTheMostRecentEnd() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);
        index.insert(root(2), 2);

        index.remove(root(0)); // a cache hit: the block becomes active...
        index.insert(root(0), 0); // ...and its release makes it the most recently used

        assertThat(drain(index)).containsExactly(1, 2, 0);
    }

    @Test
    void forget_afterHit_changesNothing() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);
        index.remove(root(0));

        index.forget(0);
        index.forget(1);
        index.insert(root(0), 0);

        assertThat(drain(index)).containsExactly(1, 0);
    }

    @Test
    void take_exactPair_removesOnlyThatPair() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        assertThat(index.take(root(0), 1))
                .as("hash present under another block")
                .isFalse();
        assertThat(index.take(root(5), 0)).as("unknown hash").isFalse();
        assertThat(index.take(root(0), -1)).as("negative block id").isFalse();
        assertThat(index.take(root(0), 8)).as("block id beyond capacity").isFalse();
        assertThat(index.size()).isEqualTo(2);

        assertThat(index.take(root(0), 0)).isTrue();
        assertThat(index.take(root(0), 0)).as("already taken").isFalse();
        assertThat(index.has(root(0))).isFalse();
        assertThat(drain(index)).containsExactly(1);
    }

    @Test
    void insert_duplicateHash_throwsAndChangesNothing() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        assertThatThrownBy(() -> index.insert(root(0), 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(root(0).toString());

        assertThat(index.size()).isEqualTo(2);
        assertThat(index.take(root(0), 2)).isFalse();
        assertThat(drain(index)).containsExactly(0, 1);
    }

    @Test
    void insert_duplicateBlockId_throwsAndChangesNothing() {
        index.insert(root(0), 3);

        assertThatThrownBy(() -> index.insert(root(1), 3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("block 3");

        assertThat(index.has(root(1))).isFalse();
        assertThat(drain(index)).containsExactly(3);
    }

    @Test
    void evict_empty_returnsNoBlock() {
        assertThat(index.evict()).isEqualTo(InactiveIndex.NO_BLOCK);
        assertThat(index.allocate(3, id -> {})).isZero();
    }

    @Test
    void findMatches_stopsAtFirstMiss_scanMatchesDoesNot() {
        List<SequenceHash> h = roots(0, 4);
        for (int i = 0; i < 4; i++) {
            if (i != 1) {
                index.insert(h.get(i), i);
            }
        }
        List<Integer> found = new ArrayList<>();

        assertThat(index.findMatches(h, found::add)).isEqualTo(1);
        assertThat(found).containsExactly(0);
        assertThat(index.size()).isEqualTo(2);

        found.clear();
        assertThat(index.scanMatches(h, found::add)).isEqualTo(2);
        assertThat(found).containsExactly(2, 3);
        assertThat(index.size()).isZero();
    }

    static LongStream seeds() {
        return LongStream.range(0, 30).map(i -> 0x1F0A_0000L + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomOperations_matchLinkedHashMapModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int capacity = 1 + random.nextInt(24);
        LruInactiveIndex lru = new LruInactiveIndex(capacity);
        // Insertion-ordered: the eldest entry is the next victim, and a hit removes the entry.
        LinkedHashMap<SequenceHash, Integer> model = new LinkedHashMap<>();
        Map<Integer, SequenceHash> byId = new LinkedHashMap<>();
        List<SequenceHash> pool = roots(0, capacity * 2 + 1);

        for (int step = 0; step < 600; step++) {
            SequenceHash hash = pool.get(random.nextInt(pool.size()));
            int id = random.nextInt(capacity);
            String at = "seed " + seed + ", step " + step;
            switch (random.nextInt(5)) {
                case 0:
                case 1:
                    if (model.containsKey(hash) || byId.containsKey(id)) {
                        assertThatThrownBy(() -> lru.insert(hash, id)).as(at).isInstanceOf(IllegalStateException.class);
                    } else {
                        lru.insert(hash, id);
                        model.put(hash, id);
                        byId.put(id, hash);
                    }
                    break;
                case 2:
                    Integer removed = model.remove(hash);
                    if (removed != null) {
                        byId.remove(removed);
                    }
                    assertThat(lru.remove(hash)).as(at).isEqualTo(removed == null ? InactiveIndex.NO_BLOCK : removed);
                    break;
                case 3:
                    int takeId = random.nextInt(capacity + 2) - 1; // includes the out-of-range -1 and capacity
                    boolean present = hash.equals(byId.get(takeId));
                    if (present) {
                        model.remove(hash);
                        byId.remove(takeId);
                    }
                    assertThat(lru.take(hash, takeId)).as(at).isEqualTo(present);
                    break;
                default:
                    Iterator<Map.Entry<SequenceHash, Integer>> eldest =
                            model.entrySet().iterator();
                    int expected = InactiveIndex.NO_BLOCK;
                    if (eldest.hasNext()) {
                        expected = eldest.next().getValue();
                        eldest.remove();
                        byId.remove(expected);
                    }
                    assertThat(lru.evict()).as(at).isEqualTo(expected);
                    break;
            }
            assertThat(lru.size()).as(at).isEqualTo(model.size());
            assertThat(lru.has(hash)).as(at).isEqualTo(model.containsKey(hash));
        }
        assertThat(drain(lru)).as("final eviction order, seed %d", seed).containsExactlyElementsOf(model.values());
    }
}
