package io.kvbm.eviction;

import static io.kvbm.eviction.InactiveIndex.NO_BLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.eviction.LineageInactiveIndex.LeafOrder;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The lineage indices' victims over random forests, with random releases, hits, takes and evictions, checked step by
 * step against {@link NaiveLineage}: the same rules written the obvious way, over a list scanned on every question,
 * with parents known from how the forest was built rather than from structural keys. {@link LineageInactiveIndex} runs
 * in both leaf orders, {@link LineageLfuInactiveIndex} with random frequencies that change between releases.
 */
class LineageInactiveIndexModelTest {

    private static final int BLOCKS = 20;
    private static final int FOREST = 60;
    private static final int STEPS = 1_500;

    /** The bonus of the LFU order: small, so that bonuses and ticks interleave. */
    private static final int BONUS = 3;

    /** The frequencies the LFU runs draw from: 0 and 1 earn nothing, 16 and 40 count as 15. */
    private static final int[] FREQUENCIES = {0, 1, 1, 2, 3, 4, 8, 16, 40};

    /** Which index and which ranking of leaves. */
    enum Order {
        TICK,
        FIFO,
        LFU
    }

    static Stream<Arguments> seedsAndOrders() {
        return LongStream.range(0, 20)
                .map(i -> 0x2545F4914F6CDD1DL * (i + 1))
                .boxed()
                .flatMap(seed -> Stream.of(Order.values()).map(order -> Arguments.of(seed, order)));
    }

    @ParameterizedTest(name = "seed {0}, {1} order")
    @MethodSource("seedsAndOrders")
    void randomForest_victimsMatchTheNaiveModel(long seed, Order order) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<SequenceHash, SequenceHash> parents = new HashMap<>();
        List<SequenceHash> forest = randomForest(random, parents);
        MultiLruInactiveIndexTest.FixedCounts counts = new MultiLruInactiveIndexTest.FixedCounts();
        LineageInactiveIndex index = order == Order.LFU
                ? new LineageLfuInactiveIndex(BLOCKS, counts, BONUS)
                : new LineageInactiveIndex(BLOCKS, order == Order.TICK ? LeafOrder.TICK : LeafOrder.FIFO);
        NaiveLineage model = new NaiveLineage(order, parents, counts);
        List<Integer> freeIds = InactiveIndexContractTest.range(BLOCKS);

        for (int step = 0; step < STEPS; step++) {
            String at = "seed " + seed + ", step " + step;
            SequenceHash hash = forest.get(random.nextInt(forest.size()));
            counts.counts.put(hash, FREQUENCIES[random.nextInt(FREQUENCIES.length)]);
            int op = random.nextInt(100);
            if (op < 40) {
                if (freeIds.isEmpty() || model.idOf(hash) != NO_BLOCK) {
                    continue;
                }
                int id = freeIds.remove(random.nextInt(freeIds.size()));
                index.insert(hash, id);
                model.insert(hash, id);
            } else if (op < 60) {
                int expected = model.idOf(hash);
                assertThat(index.remove(hash)).as("%s: hit on %s", at, hash).isEqualTo(expected);
                if (expected != NO_BLOCK) {
                    model.remove(hash);
                    freeIds.add(expected);
                }
            } else if (op < 65) {
                int expected = model.idOf(hash);
                if (expected != NO_BLOCK) {
                    assertThat(index.take(hash, expected)).as("%s: take", at).isTrue();
                    model.remove(hash);
                    freeIds.add(expected);
                }
            } else {
                List<Integer> expected = model.victimIds();
                int victim = index.evict();
                if (expected.isEmpty()) {
                    assertThat(victim).as("%s: victim of an empty index", at).isEqualTo(NO_BLOCK);
                } else {
                    assertThat(victim)
                            .as("%s: victim among leaves %s", at, model.leaves())
                            .isIn(expected);
                    model.remove(model.hashOf(victim));
                    freeIds.add(victim);
                }
            }
            assertThat(index.size()).as("%s: size", at).isEqualTo(model.size());
            assertThat(index.leafCount())
                    .as("%s: leaves", at)
                    .isEqualTo(model.leaves().size());
            assertThat(index.nodeCount()).as("%s: nodes", at).isEqualTo(model.nodeCount());
            index.checkInvariants();
        }
        for (List<Integer> expected = model.victimIds(); !expected.isEmpty(); expected = model.victimIds()) {
            int victim = index.evict();
            assertThat(victim).as("seed %d: draining", seed).isIn(expected);
            model.remove(model.hashOf(victim));
        }
        assertThat(index.evict()).isEqualTo(NO_BLOCK);
        assertThat(index.nodeCount()).isZero();
    }

    /**
     * A few trees grown by extending random earlier nodes, biased to recent ones so that chains get deep; records
     * each non-root's parent.
     */
    private static List<SequenceHash> randomForest(SplittableRandom random, Map<SequenceHash, SequenceHash> parents) {
        List<SequenceHash> forest = new ArrayList<>();
        while (forest.size() < FOREST) {
            if (forest.isEmpty() || random.nextInt(10) == 0) {
                forest.add(SequenceHash.root(random.nextLong()));
                continue;
            }
            int from = random.nextInt(4) == 0 ? random.nextInt(forest.size()) : forest.size() - 1;
            SequenceHash parent = forest.get(from);
            SequenceHash child = parent.extend(random.nextLong());
            parents.put(child, parent);
            forest.add(child);
        }
        return forest;
    }

    /**
     * The lineage rules, naively: a list of nodes (cached or ghost), each with the parent it linked to. Leaves are
     * found by scanning for children; the victim by scanning the leaves for the smallest tick (TICK), the earliest time
     * of becoming a leaf (FIFO), or the smallest expiry (LFU: the tick plus {@code BONUS × log2} of the frequency read
     * at insertion, clamped to [1, 15], or minus 2^62 for a never-seen block that arrived as a leaf under an uncached
     * parent).
     */
    private static final class NaiveLineage {

        private final Order order;
        private final Map<SequenceHash, SequenceHash> parents;
        private final FrequencyTracker counts;
        private final List<Node> nodes = new ArrayList<>();
        private long clock;
        private long releases;

        NaiveLineage(Order order, Map<SequenceHash, SequenceHash> parents, FrequencyTracker counts) {
            this.order = order;
            this.parents = parents;
            this.counts = counts;
        }

        private static final class Node {
            final SequenceHash hash;
            boolean cached;
            int id = NO_BLOCK;
            long tick;
            long expiry;

            @Nullable
            Node parent; // linked when the node is first cached; a ghost made for a child has none

            boolean leaf;
            long leafSince;

            Node(SequenceHash hash) {
                this.hash = hash;
            }
        }

        void insert(SequenceHash hash, int id) {
            Node node = find(hash);
            if (node == null) {
                node = new Node(hash);
                nodes.add(node);
            }
            node.cached = true;
            node.id = id;
            node.tick = clock++;
            if (hash.position() > 0 && node.parent == null) {
                SequenceHash parentHash = parents.get(hash);
                Node parent = find(parentHash);
                if (parent == null) {
                    parent = new Node(parentHash);
                    nodes.add(parent);
                }
                node.parent = parent;
            }
            int f = Math.max(1, Math.min(15, counts.count(hash)));
            boolean deadTail = f == 1 && !hasChildren(node) && (node.parent == null || !node.parent.cached);
            long release = releases++;
            node.expiry = deadTail ? release - (1L << 62) : release + Math.round(BONUS * Math.log(f) / Math.log(2));
            refreshLeaves();
        }

        void remove(SequenceHash hash) {
            Node node = find(hash);
            node.cached = false;
            node.id = NO_BLOCK;
            boolean pruned = true;
            while (pruned) {
                pruned = nodes.removeIf(n -> !n.cached && !hasChildren(n));
            }
            refreshLeaves();
        }

        int idOf(SequenceHash hash) {
            Node node = find(hash);
            return node == null || !node.cached ? NO_BLOCK : node.id;
        }

        /**
         * Returns the ids of the leaves of smallest rank: one for TICK and FIFO, whose ranks are unique; LFU expiries
         * can tie (a tick plus a bonus equals a later tick), and the index may then pick any of them.
         */
        List<Integer> victimIds() {
            long best = Long.MAX_VALUE;
            List<Integer> ids = new ArrayList<>();
            for (Node n : nodes) {
                if (!n.leaf) {
                    continue;
                }
                long rank = rank(n);
                if (rank < best) {
                    best = rank;
                    ids.clear();
                }
                if (rank == best) {
                    ids.add(n.id);
                }
            }
            return ids;
        }

        SequenceHash hashOf(int id) {
            for (Node n : nodes) {
                if (n.cached && n.id == id) {
                    return n.hash;
                }
            }
            throw new AssertionError("block " + id + " is not cached in the model");
        }

        List<SequenceHash> leaves() {
            List<SequenceHash> leaves = new ArrayList<>();
            for (Node n : nodes) {
                if (n.leaf) {
                    leaves.add(n.hash);
                }
            }
            return leaves;
        }

        int size() {
            return (int) nodes.stream().filter(n -> n.cached).count();
        }

        int nodeCount() {
            return nodes.size();
        }

        private long rank(Node n) {
            switch (order) {
                case TICK:
                    return n.tick;
                case FIFO:
                    return n.leafSince;
                case LFU:
                    return n.expiry;
                default:
                    throw new AssertionError(order);
            }
        }

        /** One operation exposes at most one new leaf, so the time it became one is well defined. */
        private void refreshLeaves() {
            for (Node n : nodes) {
                boolean leaf = n.cached && !hasChildren(n);
                if (leaf && !n.leaf) {
                    n.leafSince = clock++;
                }
                n.leaf = leaf;
            }
        }

        private boolean hasChildren(Node node) {
            for (Node n : nodes) {
                if (n.parent == node) {
                    return true;
                }
            }
            return false;
        }

        private @Nullable Node find(SequenceHash hash) {
            for (Node n : nodes) {
                if (n.hash.equals(hash)) {
                    return n;
                }
            }
            return null;
        }
    }
}
