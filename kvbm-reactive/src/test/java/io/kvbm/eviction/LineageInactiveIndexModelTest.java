package io.kvbm.eviction;

import static io.kvbm.eviction.InactiveIndex.NO_BLOCK;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.eviction.LineageInactiveIndex.LeafOrder;
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
 * {@link LineageInactiveIndex}'s victims over random forests, with random releases, hits, takes and evictions, checked
 * step by step against {@link NaiveLineage}: the same rules written the obvious way, over a list scanned on every
 * question, with parents known from how the forest was built rather than from structural keys.
 */
class LineageInactiveIndexModelTest {

    private static final int BLOCKS = 20;
    private static final int FOREST = 60;
    private static final int STEPS = 1_500;

    static Stream<Arguments> seedsAndOrders() {
        return LongStream.range(0, 20)
                .map(i -> 0x2545F4914F6CDD1DL * (i + 1))
                .boxed()
                .flatMap(seed -> Stream.of(Arguments.of(seed, LeafOrder.TICK), Arguments.of(seed, LeafOrder.FIFO)));
    }

    @ParameterizedTest(name = "seed {0}, {1} order")
    @MethodSource("seedsAndOrders")
    void randomForest_victimsMatchTheNaiveModel(long seed, LeafOrder order) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<SequenceHash, SequenceHash> parents = new HashMap<>();
        List<SequenceHash> forest = randomForest(random, parents);
        LineageInactiveIndex index = new LineageInactiveIndex(BLOCKS, order);
        NaiveLineage model = new NaiveLineage(order, parents);
        List<Integer> freeIds = InactiveIndexContractTest.range(BLOCKS);

        for (int step = 0; step < STEPS; step++) {
            String at = "seed " + seed + ", step " + step;
            SequenceHash hash = forest.get(random.nextInt(forest.size()));
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
                SequenceHash victim = model.victim();
                int expected = victim == null ? NO_BLOCK : model.idOf(victim);
                assertThat(index.evict())
                        .as("%s: victim among leaves %s", at, model.leaves())
                        .isEqualTo(expected);
                if (victim != null) {
                    model.remove(victim);
                    freeIds.add(expected);
                }
            }
            assertThat(index.size()).as("%s: size", at).isEqualTo(model.size());
            assertThat(index.leafCount())
                    .as("%s: leaves", at)
                    .isEqualTo(model.leaves().size());
            assertThat(index.nodeCount()).as("%s: nodes", at).isEqualTo(model.nodeCount());
            index.checkInvariants();
        }
        for (SequenceHash victim = model.victim(); victim != null; victim = model.victim()) {
            assertThat(index.evict()).as("seed %d: draining", seed).isEqualTo(model.idOf(victim));
            model.remove(victim);
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
     * found by scanning for children; the victim by scanning the leaves for the smallest tick (TICK) or the earliest
     * time of becoming a leaf (FIFO).
     */
    private static final class NaiveLineage {

        private final LeafOrder order;
        private final Map<SequenceHash, SequenceHash> parents;
        private final List<Node> nodes = new ArrayList<>();
        private long clock;

        NaiveLineage(LeafOrder order, Map<SequenceHash, SequenceHash> parents) {
            this.order = order;
            this.parents = parents;
        }

        private static final class Node {
            final SequenceHash hash;
            boolean cached;
            int id = NO_BLOCK;
            long tick;

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

        @Nullable
        SequenceHash victim() {
            Node best = null;
            for (Node n : nodes) {
                if (n.leaf && (best == null || rank(n) < rank(best))) {
                    best = n;
                }
            }
            return best == null ? null : best.hash;
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
            return order == LeafOrder.TICK ? n.tick : n.leafSince;
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
