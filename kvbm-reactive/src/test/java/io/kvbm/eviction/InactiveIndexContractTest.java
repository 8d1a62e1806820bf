package io.kvbm.eviction;

import static io.kvbm.eviction.InactiveIndex.NO_BLOCK;
import static io.kvbm.eviction.TestHashes.chain;
import static io.kvbm.eviction.TestHashes.chainAt;
import static io.kvbm.eviction.TestHashes.otherHighBits;
import static io.kvbm.eviction.TestHashes.otherParent;
import static io.kvbm.eviction.TestHashes.roots;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@link InactiveIndex} contract, written once and run for every built-in policy (JCTools' {@code
 * QueueSanityTest}): a subclass only says how to create its index. Policies order their victims differently, so these
 * tests check contents and counts plus the properties every order shares (a victim whenever the index is not empty,
 * each block evicted exactly once, {@code has} leaving the order alone); each policy's own test class pins its order.
 *
 * <p>Hashes are real lineages ({@code root(x).extend(y)...}) mixed with unrelated roots, so lineage policies see a
 * true prefix forest, inserted out of order.
 */
abstract class InactiveIndexContractTest {

    static final int BLOCKS = 32;

    /** Returns a new, empty index for {@code blockCount} blocks. */
    protected abstract InactiveIndex newIndex(int blockCount);

    /** Checks the index's internal structure, if it has one worth checking; called after every randomized step. */
    protected void checkInternals(InactiveIndex index) {}

    /** Builds an index through the public factory, as the manager does. */
    static InactiveIndex newIndex(EvictionPolicy policy, int blockCount) {
        return policy.newIndex(new EvictionPolicy.Context(blockCount, FrequencyTracker.noop(), false));
    }

    /** Two chains of five, a chain of three, and three roots: 16 hashes, in a fixed shuffled order. */
    static List<SequenceHash> forest() {
        List<SequenceHash> hashes = new ArrayList<>();
        hashes.addAll(chain(1, 5));
        hashes.addAll(chain(2, 5));
        hashes.addAll(chain(3, 3));
        hashes.addAll(roots(4, 3));
        Collections.shuffle(hashes, new Random(7));
        return hashes;
    }

    /** Inserts {@code hashes[i]} with block id {@code i}. */
    static <T extends InactiveIndex> T fill(T index, List<SequenceHash> hashes) {
        for (int i = 0; i < hashes.size(); i++) {
            index.insert(hashes.get(i), i);
        }
        return index;
    }

    static List<Integer> drain(InactiveIndex index) {
        List<Integer> ids = new ArrayList<>();
        for (int id = index.evict(); id != NO_BLOCK; id = index.evict()) {
            ids.add(id);
        }
        return ids;
    }

    static List<Integer> range(int n) {
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(i);
        }
        return ids;
    }

    @Test
    void newIndex_isEmpty() {
        InactiveIndex index = newIndex(BLOCKS);

        assertThat(index.size()).isZero();
        assertThat(index.evict()).isEqualTo(NO_BLOCK);
        assertThat(index.has(SequenceHash.root(1))).isFalse();
    }

    @Test
    void insert_distinctPairs_countsEachAndFindsEach() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = newIndex(BLOCKS);

        for (int i = 0; i < hashes.size(); i++) {
            index.insert(hashes.get(i), i);
            assertThat(index.size()).isEqualTo(i + 1);
        }
        assertThat(hashes).allMatch(index::has);
    }

    @Test
    void insert_asManyBlocksAsTheManagerHas_fits() {
        List<SequenceHash> hashes = new ArrayList<>(chain(5, BLOCKS / 2));
        hashes.addAll(roots(6, BLOCKS / 2));
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);

        assertThat(index.size()).isEqualTo(BLOCKS);
        assertThat(drain(index)).containsExactlyInAnyOrderElementsOf(range(BLOCKS));
    }

    @Test
    void insert_duplicateHash_throwsAndKeepsTheFirst() {
        SequenceHash hash = chain(1, 2).get(1);
        InactiveIndex index = newIndex(BLOCKS);
        index.insert(hash, 3);

        assertThatThrownBy(() -> index.insert(hash, 4)).isInstanceOf(IllegalStateException.class);
        assertThat(index.size()).isEqualTo(1);
        assertThat(index.remove(hash)).isEqualTo(3);
        index.insert(roots(9, 1).get(0), 4); // block 4 was not taken by the failed insert
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void insert_duplicateBlockId_throwsAndKeepsTheFirst() {
        List<SequenceHash> hashes = chain(1, 2);
        InactiveIndex index = newIndex(BLOCKS);
        index.insert(hashes.get(0), 3);

        assertThatThrownBy(() -> index.insert(hashes.get(1), 3)).isInstanceOf(IllegalStateException.class);
        assertThat(index.size()).isEqualTo(1);
        assertThat(index.has(hashes.get(1))).isFalse();
        assertThat(drain(index)).containsExactly(3);
    }

    @Test
    void insert_afterRemove_cachesTheBlockAgain() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);
        SequenceHash hash = hashes.get(5);

        assertThat(index.remove(hash)).isEqualTo(5);
        index.insert(hash, 5);
        assertThat(index.remove(hash)).isEqualTo(5);
        index.insert(hash, 20); // the same hash may come back in another block
        assertThat(index.has(hash)).isTrue();
        assertThat(index.size()).isEqualTo(hashes.size());
        assertThat(index.remove(hash)).isEqualTo(20);
    }

    @Test
    void insert_afterEviction_cachesTheBlockAgain() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);
        int victim = index.evict();

        index.insert(hashes.get(victim), victim);

        assertThat(index.size()).isEqualTo(hashes.size());
        assertThat(drain(index)).containsExactlyInAnyOrderElementsOf(range(hashes.size()));
    }

    @Test
    void remove_cachedHash_returnsItsBlockAndForgetsIt() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);

        assertThat(index.remove(hashes.get(4))).isEqualTo(4);

        assertThat(index.size()).isEqualTo(hashes.size() - 1);
        assertThat(index.has(hashes.get(4))).isFalse();
        assertThat(index.remove(hashes.get(4))).isEqualTo(NO_BLOCK);
        assertThat(drain(index)).doesNotContain(4).hasSize(hashes.size() - 1);
    }

    @Test
    void remove_absentHash_returnsNoBlockAndChangesNothing() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);

        assertThat(index.remove(chain(99, 3).get(2))).isEqualTo(NO_BLOCK);
        assertThat(index.remove(roots(99, 1).get(0))).isEqualTo(NO_BLOCK);

        assertThat(index.size()).isEqualTo(hashes.size());
    }

    @Test
    void remove_hashSharingPositionWithACachedOne_misses() {
        // Same position and current hash, another parent; or same fragment, other high bits: never someone else's
        // block.
        SequenceHash cached = chain(1, 3).get(2);
        InactiveIndex index = newIndex(BLOCKS);
        index.insert(cached, 0);

        assertThat(index.has(otherParent(cached))).isFalse();
        assertThat(index.has(otherHighBits(cached))).isFalse();
        assertThat(index.remove(otherParent(cached))).isEqualTo(NO_BLOCK);
        assertThat(index.remove(otherHighBits(cached))).isEqualTo(NO_BLOCK);
        assertThat(index.take(otherParent(cached), 0)).isFalse();
        assertThat(index.size()).isEqualTo(1);
        assertThat(index.remove(cached)).isZero();
    }

    @Test
    void has_cachedAndAbsentHashes_answersWithoutRemoving() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);

        assertThat(hashes).allMatch(index::has);
        assertThat(index.has(roots(99, 1).get(0))).isFalse();
        assertThat(index.size()).isEqualTo(hashes.size());
    }

    @Test
    void has_interleavedWithEvictions_doesNotChangeTheEvictionOrder() {
        List<SequenceHash> hashes = forest();
        InactiveIndex plain = populateForOrderTest(newIndex(BLOCKS), hashes);
        InactiveIndex probed = populateForOrderTest(newIndex(BLOCKS), hashes);
        List<SequenceHash> probes = new ArrayList<>(hashes);
        probes.addAll(chain(99, 4));

        List<Integer> expected = drain(plain);
        List<Integer> actual = new ArrayList<>();
        probes.forEach(probed::has);
        for (int id = probed.evict(); id != NO_BLOCK; id = probed.evict()) {
            actual.add(id);
            for (int i = probes.size() - 1; i >= 0; i--) {
                probed.has(probes.get(i));
            }
        }

        assertThat(actual).isEqualTo(expected).hasSize(hashes.size() - 2);
    }

    /** The same history for both indices: inserts, two hits, a re-release, so the order is not just insertion. */
    private static InactiveIndex populateForOrderTest(InactiveIndex index, List<SequenceHash> hashes) {
        fill(index, hashes);
        index.remove(hashes.get(3));
        index.remove(hashes.get(8));
        index.remove(hashes.get(0));
        index.insert(hashes.get(0), 0);
        return index;
    }

    @Test
    void take_exactPair_removesIt() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);

        assertThat(index.take(hashes.get(6), 6)).isTrue();

        assertThat(index.has(hashes.get(6))).isFalse();
        assertThat(index.size()).isEqualTo(hashes.size() - 1);
        assertThat(index.take(hashes.get(6), 6)).isFalse();
    }

    @Test
    void take_hashUnderAnotherBlock_keepsTheEntry() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);

        assertThat(index.take(hashes.get(6), 7)).isFalse();
        assertThat(index.take(hashes.get(6), 25)).isFalse(); // a block id that is not in the index at all
        assertThat(index.take(hashes.get(6), -1)).isFalse();
        assertThat(index.take(hashes.get(6), BLOCKS)).isFalse();
        assertThat(index.take(chain(99, 2).get(1), 6)).isFalse();

        assertThat(index.size()).isEqualTo(hashes.size());
        assertThat(index.remove(hashes.get(6))).isEqualTo(6);
    }

    @Test
    void evict_emptyIndex_returnsNoBlock() {
        InactiveIndex index = fill(newIndex(BLOCKS), chain(1, 3));
        drain(index);

        assertThat(index.evict()).isEqualTo(NO_BLOCK);
        assertThat(index.size()).isZero();
    }

    @Test
    void evict_untilEmpty_returnsEveryBlockExactlyOnce() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);

        List<Integer> evicted = new ArrayList<>();
        while (index.size() > 0) {
            int before = index.size();
            int id = index.evict();
            assertThat(id).as("victim while size is %d", before).isNotEqualTo(NO_BLOCK);
            assertThat(index.size()).isEqualTo(before - 1);
            assertThat(index.has(hashes.get(id))).isFalse();
            evicted.add(id);
        }

        assertThat(evicted).containsExactlyInAnyOrderElementsOf(range(hashes.size()));
        assertThat(index.evict()).isEqualTo(NO_BLOCK);
    }

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {0, 1, 5, 15, 16})
    void allocate_sizeAtLeastN_returnsExactlyN(int n) {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);
        List<Integer> ids = new ArrayList<>();

        assertThat(index.allocate(n, ids::add)).isEqualTo(n);

        assertThat(ids).hasSize(n).doesNotHaveDuplicates();
        assertThat(index.size()).isEqualTo(hashes.size() - n);
        ids.forEach(id -> assertThat(index.has(hashes.get(id))).isFalse());
    }

    @Test
    void allocate_moreThanSize_returnsEverything() {
        List<SequenceHash> hashes = forest();
        InactiveIndex index = fill(newIndex(BLOCKS), hashes);
        List<Integer> ids = new ArrayList<>();

        assertThat(index.allocate(hashes.size() + 5, ids::add)).isEqualTo(hashes.size());

        assertThat(ids).containsExactlyInAnyOrderElementsOf(range(hashes.size()));
        assertThat(index.size()).isZero();
        assertThat(index.allocate(3, ids::add)).isZero();
    }

    @Test
    void findMatches_missInTheMiddle_stopsAtTheMiss() {
        List<SequenceHash> prefix = chain(1, 3);
        SequenceHash missing = chain(99, 2).get(1);
        InactiveIndex index = fill(newIndex(BLOCKS), prefix);
        List<Integer> ids = new ArrayList<>();

        assertThat(index.findMatches(List.of(prefix.get(0), missing, prefix.get(2)), ids::add))
                .isEqualTo(1);

        assertThat(ids).containsExactly(0);
        assertThat(index.has(prefix.get(2))).as("hash after the miss").isTrue();
        assertThat(index.size()).isEqualTo(2);
    }

    @Test
    void findMatches_wholePrefixCached_returnsItInInputOrder() {
        List<SequenceHash> prefix = chain(1, 4);
        InactiveIndex index = fill(newIndex(BLOCKS), prefix);
        List<Integer> ids = new ArrayList<>();

        assertThat(index.findMatches(prefix, ids::add)).isEqualTo(4);

        assertThat(ids).containsExactly(0, 1, 2, 3);
        assertThat(index.size()).isZero();
    }

    @Test
    void scanMatches_missInTheMiddle_continuesPastIt() {
        List<SequenceHash> prefix = chain(1, 3);
        SequenceHash missing = chain(99, 2).get(1);
        InactiveIndex index = fill(newIndex(BLOCKS), prefix);
        List<Integer> ids = new ArrayList<>();

        assertThat(index.scanMatches(List.of(prefix.get(0), missing, prefix.get(2)), ids::add))
                .isEqualTo(2);

        assertThat(ids).containsExactly(0, 2);
        assertThat(index.has(prefix.get(1))).isTrue();
        assertThat(index.size()).isEqualTo(1);
    }

    static LongStream seeds() {
        return LongStream.range(0, 20).map(i -> 0x5DEECE66DL * i + 11);
    }

    /**
     * Random inserts, hits, evictions, takes, probes and batch lookups, checked against a model that knows only the
     * contents (a map from hash to block id, each pair at most once): orders differ per policy, contents do not.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomOperations_agreeWithAContentsModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int blocks = 24;
        List<SequenceHash> pool = randomPool(random);
        InactiveIndex index = newIndex(blocks);
        Map<SequenceHash, Integer> model = new HashMap<>();
        SequenceHash[] byId = new SequenceHash[blocks];
        List<Integer> freeIds = range(blocks);

        for (int step = 0; step < 2_000; step++) {
            SequenceHash hash = pool.get(random.nextInt(pool.size()));
            int op = random.nextInt(100);
            String at = "seed " + seed + ", step " + step;
            if (op < 35) {
                if (freeIds.isEmpty() || model.containsKey(hash)) {
                    continue;
                }
                int id = freeIds.remove(random.nextInt(freeIds.size()));
                index.insert(hash, id);
                model.put(hash, id);
                byId[id] = hash;
            } else if (op < 50) {
                Integer expected = model.remove(hash);
                assertThat(index.remove(hash))
                        .as("%s: remove(%s)", at, hash)
                        .isEqualTo(expected == null ? NO_BLOCK : expected);
                if (expected != null) {
                    freeIds.add(expected);
                    byId[expected] = null;
                }
            } else if (op < 68) {
                int id = index.evict();
                if (model.isEmpty()) {
                    assertThat(id).as("%s: evict() on empty", at).isEqualTo(NO_BLOCK);
                } else {
                    assertThat(id).as("%s: evict()", at).isBetween(0, blocks - 1);
                    assertThat(byId[id]).as("%s: victim %d is cached", at, id).isNotNull();
                    model.remove(byId[id]);
                    byId[id] = null;
                    freeIds.add(id);
                }
            } else if (op < 76) {
                Integer cached = model.get(hash);
                int id = cached != null && random.nextBoolean() ? cached : random.nextInt(blocks);
                boolean expected = cached != null && cached == id;
                assertThat(index.take(hash, id))
                        .as("%s: take(%s, %d)", at, hash, id)
                        .isEqualTo(expected);
                if (expected) {
                    model.remove(hash);
                    byId[id] = null;
                    freeIds.add(id);
                }
            } else if (op < 90) {
                assertThat(index.has(hash)).as("%s: has(%s)", at, hash).isEqualTo(model.containsKey(hash));
            } else {
                List<SequenceHash> batch = new ArrayList<>();
                for (int i = random.nextInt(5); i >= 0; i--) {
                    batch.add(pool.get(random.nextInt(pool.size())));
                }
                boolean scan = random.nextBoolean();
                List<Integer> expected = new ArrayList<>();
                for (SequenceHash h : batch) {
                    Integer id = model.remove(h);
                    if (id == null) {
                        if (scan) {
                            continue;
                        }
                        break;
                    }
                    expected.add(id);
                    byId[id] = null;
                    freeIds.add(id);
                }
                List<Integer> actual = new ArrayList<>();
                int hits = scan ? index.scanMatches(batch, actual::add) : index.findMatches(batch, actual::add);
                assertThat(actual)
                        .as("%s: %s(%s)", at, scan ? "scan" : "find", batch)
                        .isEqualTo(expected);
                assertThat(hits).isEqualTo(expected.size());
            }
            assertThat(index.size()).as("%s: size", at).isEqualTo(model.size());
            checkInternals(index);
        }
        List<Integer> rest = new ArrayList<>();
        assertThat(index.allocate(blocks + 1, rest::add)).isEqualTo(model.size());
        assertThat(rest).containsExactlyInAnyOrderElementsOf(model.values());
        checkInternals(index);
    }

    /**
     * Chains with branches, chains across the 255/256 and 65535/65536 mode boundaries, unrelated roots, and a few
     * impostors (same structural key as a chain member, other hash), so lineage indices meet collisions too.
     */
    private static List<SequenceHash> randomPool(SplittableRandom random) {
        List<SequenceHash> pool = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            List<SequenceHash> trunk = chain(random.nextLong(), 2 + random.nextInt(6));
            pool.addAll(trunk);
            SequenceHash fork = trunk.get(random.nextInt(trunk.size()));
            List<SequenceHash> branch = TestHashes.chainFrom(fork, random.nextLong(), 2 + random.nextInt(3));
            pool.addAll(branch.subList(1, branch.size()));
        }
        pool.addAll(chainAt(253, random.nextLong(), 5));
        pool.addAll(chainAt(65_533, random.nextLong(), 5));
        pool.addAll(roots(random.nextLong(), 6));
        SequenceHash deep = pool.get(2);
        pool.add(otherHighBits(pool.get(0)));
        pool.add(otherHighBits(deep));
        if (deep.position() > 0) {
            pool.add(otherParent(deep));
        }
        return pool;
    }
}
