package io.kvbm.eviction;

import static io.kvbm.eviction.InactiveIndex.NO_BLOCK;
import static io.kvbm.eviction.InactiveIndexContractTest.drain;
import static io.kvbm.eviction.InactiveIndexContractTest.fill;
import static io.kvbm.eviction.TestHashes.chain;
import static io.kvbm.eviction.TestHashes.chainAt;
import static io.kvbm.eviction.TestHashes.otherHighBits;
import static io.kvbm.eviction.TestHashes.otherParent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.eviction.LineageInactiveIndex.LeafOrder;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The forest behind {@link LineageInactiveIndex}: only leaves are evicted, ghosts hold gaps, pruning is iterative,
 * keys survive mode boundaries, lookups demand the full hash and collisions corrupt nothing. The contract every index
 * honours is in {@link LineageInactiveIndexContractTest}; the order over random forests is checked against a naive
 * model in {@link LineageInactiveIndexModelTest}.
 */
class LineageInactiveIndexTest {

    private static final int BLOCKS = 16;

    private static LineageInactiveIndex newIndex(LeafOrder order) {
        return new LineageInactiveIndex(BLOCKS, order);
    }

    /** Evicts everything, checking the structure after each step; returns the hashes in eviction order. */
    private static List<SequenceHash> drainHashes(LineageInactiveIndex index, List<SequenceHash> byId) {
        List<SequenceHash> evicted = new ArrayList<>();
        for (int id = index.evict(); id != NO_BLOCK; id = index.evict()) {
            evicted.add(byId.get(id));
            index.checkInvariants();
        }
        return evicted;
    }

    @Test
    void lineagePolicies_createFreshIndicesInTheirLeafOrder() {
        InactiveIndex tick = InactiveIndexContractTest.newIndex(EvictionPolicy.lineage(), 4);
        InactiveIndex fifo = InactiveIndexContractTest.newIndex(EvictionPolicy.lineageFifo(), 4);

        assertThat(EvictionPolicy.lineage().name()).isEqualTo("lineage");
        assertThat(EvictionPolicy.lineageFifo().name()).isEqualTo("lineage-fifo");
        assertThat(tick).isInstanceOf(LineageInactiveIndex.class);
        assertThat(tick).isNotSameAs(InactiveIndexContractTest.newIndex(EvictionPolicy.lineage(), 4));
        assertThat(tick.toString()).contains("order=TICK");
        assertThat(fifo.toString()).contains("order=FIFO");
    }

    @Test
    void insert_blockIdOutOfRange_throwsAndChangesNothing() {
        LineageInactiveIndex index = newIndex(LeafOrder.TICK);

        assertThatThrownBy(() -> index.insert(SequenceHash.root(1), BLOCKS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got " + BLOCKS);
        assertThatThrownBy(() -> index.insert(SequenceHash.root(1), -1)).isInstanceOf(IllegalArgumentException.class);

        assertThat(index.nodeCount()).isZero();
    }

    @Nested
    class Leaves {

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void evict_singleLeaf_leavesAnEmptyGraph(LeafOrder order) {
            // kvbm-core §8 invariant 36
            LineageInactiveIndex index = newIndex(order);
            index.insert(chain(1, 1).get(0), 5);

            assertThat(index.leafCount()).isEqualTo(1);
            assertThat(index.evict()).isEqualTo(5);

            assertThat(index.size()).isZero();
            assertThat(index.nodeCount()).isZero();
            assertThat(index.leafCount()).isZero();
            assertThat(index.evict()).isEqualTo(NO_BLOCK);
            index.checkInvariants();
        }

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void insert_parentThenChild_onlyTheChildIsALeaf(LeafOrder order) {
            // kvbm-core §8 invariant 36
            List<SequenceHash> c = chain(1, 2);
            LineageInactiveIndex index = newIndex(order);
            index.insert(c.get(0), 0);
            index.insert(c.get(1), 1);

            assertThat(index.leafCount()).isEqualTo(1);
            assertThat(index.isLeaf(c.get(1))).isTrue();
            assertThat(index.isLeaf(c.get(0))).isFalse();
            index.checkInvariants();

            assertThat(index.evict()).as("the child goes first").isOne();
            assertThat(index.isLeaf(c.get(0)))
                    .as("evicting the child exposes the parent")
                    .isTrue();
            assertThat(index.evict()).isZero();
            assertThat(index.nodeCount()).isZero();
        }

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void insert_childBeforeParent_childIsTheOnlyLeaf(LeafOrder order) {
            // kvbm-core §8 invariant 36
            List<SequenceHash> c = chain(1, 2);
            LineageInactiveIndex index = newIndex(order);

            index.insert(c.get(1), 1);
            assertThat(index.nodeCount())
                    .as("the child and a ghost for its parent")
                    .isEqualTo(2);
            assertThat(index.size()).isOne();
            assertThat(index.has(c.get(0))).as("a ghost is not cached").isFalse();

            index.insert(c.get(0), 0);
            assertThat(index.nodeCount())
                    .as("the ghost was promoted, not duplicated")
                    .isEqualTo(2);
            assertThat(index.size()).isEqualTo(2);
            assertThat(index.leafCount()).isOne();
            assertThat(index.isLeaf(c.get(1))).isTrue();
            index.checkInvariants();

            assertThat(index.evict()).isOne();
            assertThat(index.evict()).isZero();
            assertThat(index.nodeCount()).isZero();
        }

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void insert_twoChainsOfThree_twoLeaves(LeafOrder order) {
            // kvbm-core §8 invariant 36
            List<SequenceHash> a = chain(1, 3);
            List<SequenceHash> x = chain(2, 3);
            LineageInactiveIndex index = newIndex(order);
            for (int i = 0; i < 3; i++) {
                index.insert(a.get(i), i);
                index.insert(x.get(i), 3 + i);
            }

            assertThat(index.leafCount()).isEqualTo(2);
            assertThat(index.isLeaf(a.get(2))).isTrue();
            assertThat(index.isLeaf(x.get(2))).isTrue();
            assertThat(index.size()).isEqualTo(6);
            index.checkInvariants();
        }

        @Test
        void evict_tickOrder_consumesChainsTailToRootOldestFirst() {
            // kvbm-core §8 invariant 36: chains A -> B and X -> Y inserted A, B, X, Y
            List<SequenceHash> byId = twoChains();
            LineageInactiveIndex index = fill(newIndex(LeafOrder.TICK), byId);

            assertThat(drainHashes(index, byId)).containsExactly(byId.get(1), byId.get(0), byId.get(3), byId.get(2));
        }

        @Test
        void evict_fifoOrder_consumesChainsRoundRobin() {
            // kvbm-core §8 invariant 36: chains A -> B and X -> Y inserted A, B, X, Y
            List<SequenceHash> byId = twoChains();
            LineageInactiveIndex index = fill(newIndex(LeafOrder.FIFO), byId);

            assertThat(drainHashes(index, byId)).containsExactly(byId.get(1), byId.get(3), byId.get(0), byId.get(2));
        }

        /** A, B, X, Y with ids 0..3. */
        private List<SequenceHash> twoChains() {
            List<SequenceHash> hashes = new ArrayList<>(chain(1, 2));
            hashes.addAll(chain(2, 2));
            return hashes;
        }

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void evict_parentExposedAgain_tickReturnsItToItsOriginalPlace(LeafOrder order) {
            // A -> B, then an unrelated C. After B goes, A (tick 0) is older than C under TICK; FIFO queues A behind C.
            List<SequenceHash> byId = new ArrayList<>(chain(1, 2));
            byId.add(chain(2, 1).get(0));
            LineageInactiveIndex index = fill(newIndex(order), byId);

            List<Integer> evicted = drain(index);

            if (order == LeafOrder.TICK) {
                assertThat(evicted).containsExactly(1, 0, 2);
            } else {
                assertThat(evicted).containsExactly(1, 2, 0);
            }
        }
    }

    @Nested
    class GhostsAndPruning {

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void remove_middleOfAChain_leavesAGhostThatKeepsItsChildren(LeafOrder order) {
            List<SequenceHash> c = chain(1, 3);
            LineageInactiveIndex index = fill(newIndex(order), c);

            assertThat(index.remove(c.get(1))).isOne();

            assertThat(index.size()).isEqualTo(2);
            assertThat(index.nodeCount()).as("the middle stays as a ghost").isEqualTo(3);
            assertThat(index.isLeaf(c.get(0)))
                    .as("the root still has a (ghost) child")
                    .isFalse();
            assertThat(index.leafCount()).isOne();
            index.checkInvariants();

            index.insert(c.get(1), 7);
            assertThat(index.nodeCount()).isEqualTo(3);
            assertThat(index.isLeaf(c.get(1)))
                    .as("re-inserted with a child: not a leaf")
                    .isFalse();
            assertThat(index.leafCount()).isOne();
            index.checkInvariants();
            assertThat(drain(index)).containsExactly(2, 7, 0);
        }

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void evict_tailUnderAGhost_prunesTheGhostAndExposesTheRoot(LeafOrder order) {
            List<SequenceHash> c = chain(1, 3);
            LineageInactiveIndex index = fill(newIndex(order), c);
            index.remove(c.get(1));

            assertThat(index.evict()).isEqualTo(2);

            assertThat(index.nodeCount()).isOne();
            assertThat(index.isLeaf(c.get(0))).isTrue();
            index.checkInvariants();
            assertThat(index.evict()).isZero();
            assertThat(index.nodeCount()).isZero();
        }

        @ParameterizedTest(name = "{0} blocks")
        @ValueSource(ints = {1_000, 100_000})
        void evict_deepChain_drainsTailToRootIteratively(int length) {
            // kvbm-core §8 invariant 36 (also crosses the 255/256 and, at 100 000, the 65535/65536 key boundaries)
            List<SequenceHash> c = chain(1, length);
            for (LeafOrder order : LeafOrder.values()) {
                LineageInactiveIndex index = fill(new LineageInactiveIndex(length, order), c);
                assertThat(index.leafCount()).isOne();

                for (int expected = length - 1; expected >= 0; expected--) {
                    assertThat(index.evict()).isEqualTo(expected);
                }
                assertThat(index.nodeCount()).isZero();
            }
        }

        @ParameterizedTest(name = "{0} blocks")
        @ValueSource(ints = {1_000, 100_000})
        void evict_lastBlockUnderAGhostChain_prunesTheWholeChainWithoutRecursion(int length) {
            // kvbm-core §8 invariant 36: one removal frees length - 1 ghosts; a recursive prune would overflow the
            // stack
            List<SequenceHash> c = chain(1, length);
            LineageInactiveIndex index = fill(new LineageInactiveIndex(length, LeafOrder.TICK), c);
            for (int i = 0; i < length - 1; i++) {
                assertThat(index.remove(c.get(i))).isEqualTo(i);
            }
            assertThat(index.size()).isOne();
            assertThat(index.nodeCount()).isEqualTo(length);

            assertThat(index.evict()).isEqualTo(length - 1);

            assertThat(index.nodeCount()).isZero();
            index.checkInvariants();
        }

        @ParameterizedTest(name = "{0} blocks")
        @ValueSource(ints = {1_000, 100_000})
        void insert_deepChainTailFirst_promotesEachGhostAndDrainsInOrder(int length) {
            List<SequenceHash> c = chain(1, length);
            LineageInactiveIndex index = new LineageInactiveIndex(length, LeafOrder.FIFO);
            for (int i = length - 1; i >= 0; i--) {
                index.insert(c.get(i), i);
            }
            assertThat(index.nodeCount()).isEqualTo(length);
            assertThat(index.leafCount()).isOne();
            index.checkInvariants();

            for (int expected = length - 1; expected >= 0; expected--) {
                assertThat(index.evict()).isEqualTo(expected);
            }
            assertThat(index.nodeCount()).isZero();
        }

        @Test
        void insertAndEvict_manyCycles_reuseFreedSlots() {
            // kvbm-core §8 invariant 36: freed slab slots are reused, so the slab never grows in steady state
            LineageInactiveIndex index = newIndex(LeafOrder.TICK);
            int capacity = index.slabCapacity();
            SplittableRandom random = new SplittableRandom(3);

            for (int cycle = 0; cycle < 2_000; cycle++) {
                List<SequenceHash> c = chain(random.nextLong(), 1 + random.nextInt(BLOCKS));
                for (int i = c.size() - 1; i >= 0; i -= 2) {
                    index.insert(c.get(i), i); // every other block, tail first: ghosts in the gaps
                }
                for (int i = c.size() % 2 == 0 ? 0 : 1; i < c.size(); i += 2) {
                    index.insert(c.get(i), i);
                }
                if (c.size() > 2) {
                    index.remove(c.get(random.nextInt(c.size() - 1))); // a hit: a ghost in the middle
                }
                drain(index);
                assertThat(index.nodeCount()).isZero();
            }

            assertThat(index.slabCapacity()).isEqualTo(capacity);
            index.checkInvariants();
        }

        @Test
        void insert_moreGhostsThanPlanned_growsTheSlabAndStaysConsistent() {
            // 4 blocks, 8 planned nodes: keep the tail cached and hit everything above it, over and over.
            LineageInactiveIndex index = new LineageInactiveIndex(4, LeafOrder.TICK);
            int planned = index.slabCapacity();
            List<SequenceHash> c = chain(1, 40);
            for (int i = 0; i < c.size(); i++) {
                index.insert(c.get(i), i % 4);
                if (i > 0) {
                    index.remove(c.get(i - 1));
                }
            }
            index.checkInvariants();

            assertThat(index.slabCapacity()).isGreaterThan(planned);
            assertThat(index.nodeCount()).isEqualTo(40);
            assertThat(index.size()).isOne();
            assertThat(index.evict()).isEqualTo(39 % 4);
            assertThat(index.nodeCount()).isZero();
        }
    }

    @Nested
    class Keys {

        @ParameterizedTest(name = "parent at {0}")
        @ValueSource(ints = {0, 1, 254, 255, 256, 65_534, 65_535, 65_536, SequenceHash.MAX_POSITION - 1})
        void parentKey_ofAChild_isTheKeyOfItsParentAcrossModeBoundaries(int position) {
            SequenceHash parent = SequenceHash.of(position, 0x0123_4567_89AB_CDEFL, 0xFEDC_BA98_7654_3210L);
            SequenceHash child = parent.extend(42);
            int childMode = child.mode();
            int r = new int[] {54, 46, 38}[childMode];

            long key = LineageInactiveIndex.nodeKey(parent);

            assertThat(LineageInactiveIndex.parentKey(child)).isEqualTo(key);
            assertThat(key)
                    .as("mode(p + 1) << 62 | p << R(p + 1) | parentFragmentForChildPosition(p + 1)")
                    .isEqualTo((long) childMode << 62
                            | (long) position << r
                            | parent.parentFragmentForChildPosition(position + 1));
        }

        @Test
        void nodeKey_atMaxPosition_usesModeTwo() {
            SequenceHash last = SequenceHash.of(SequenceHash.MAX_POSITION, -1L, -1L);

            long key = LineageInactiveIndex.nodeKey(last);

            assertThat(key >>> 62).isEqualTo(2);
            assertThat((key >>> 38) & ((1L << 24) - 1)).isEqualTo(SequenceHash.MAX_POSITION);
            assertThat(key & ((1L << 38) - 1)).isEqualTo((1L << 38) - 1);
        }

        @Test
        void nodeKey_samePositionAndTruncatedHash_isShared_otherPositions_areNot() {
            long current = 0x0123_4567_89AB_CDEFL;
            SequenceHash h = SequenceHash.of(255, current, 7);

            assertThat(LineageInactiveIndex.nodeKey(otherParent(h))).isEqualTo(LineageInactiveIndex.nodeKey(h));
            assertThat(LineageInactiveIndex.nodeKey(otherHighBits(h))).isEqualTo(LineageInactiveIndex.nodeKey(h));
            for (int position : new int[] {254, 256, 65_535}) {
                assertThat(LineageInactiveIndex.nodeKey(SequenceHash.of(position, current, 7)))
                        .isNotEqualTo(LineageInactiveIndex.nodeKey(h));
            }
        }

        @ParameterizedTest(name = "chain from {0}")
        @ValueSource(ints = {253, 65_533})
        void insert_chainAcrossAModeBoundary_linksEveryBlockToItsParent(int start) {
            List<SequenceHash> c = chainAt(start, 9, 5); // e.g. 253, 254, 255 | 256, 257
            for (LeafOrder order : LeafOrder.values()) {
                LineageInactiveIndex index = newIndex(order);
                for (int i = c.size() - 1; i >= 0; i--) {
                    index.insert(c.get(i), i); // tail first: every link goes through a ghost found by key
                }
                assertThat(index.nodeCount())
                        .as("five blocks and a ghost for the first one's parent")
                        .isEqualTo(c.size() + 1);
                assertThat(index.leafCount()).isOne();
                index.checkInvariants();

                assertThat(drain(index)).containsExactly(4, 3, 2, 1, 0);
                assertThat(index.nodeCount()).isZero();
            }
        }
    }

    @Nested
    class FullHashChecks {

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void lookups_impostorSharingPositionAndFragment_areRejected(LeafOrder order) {
            // kvbm-core §8 invariant 36: the full-hash check rejects an impostor sharing (position, fragment)
            List<SequenceHash> c = chain(1, 3);
            LineageInactiveIndex index = fill(newIndex(order), c);
            SequenceHash cached = c.get(1);
            List<SequenceHash> impostors = List.of(
                    otherParent(cached),
                    otherHighBits(cached),
                    SequenceHash.of(1, cached.currentSequenceHash(), ~c.get(0).currentSequenceHash()));

            for (SequenceHash impostor : impostors) {
                assertThat(LineageInactiveIndex.nodeKey(impostor)).isEqualTo(LineageInactiveIndex.nodeKey(cached));
                assertThat(index.has(impostor)).as("has(%s)", impostor).isFalse();
                assertThat(index.remove(impostor)).as("remove(%s)", impostor).isEqualTo(NO_BLOCK);
                assertThat(index.take(impostor, 1)).as("take(%s, 1)", impostor).isFalse();
                assertThat(index.isLeaf(impostor)).isFalse();
            }

            assertThat(index.size()).isEqualTo(3);
            assertThat(index.remove(cached)).isOne();
            index.checkInvariants();
        }
    }

    @Nested
    class Collisions {

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void insert_differentHashUnderACachedKey_keepsBothFindableAndEvictable(LeafOrder order) {
            List<SequenceHash> c = chain(1, 3);
            SequenceHash cached = c.get(2);
            SequenceHash stranger = otherHighBits(cached); // same structural key, same parent
            LineageInactiveIndex index = fill(newIndex(order), c);

            index.insert(stranger, 3);

            assertThat(index.collisions()).isOne();
            assertThat(index.size()).isEqualTo(4);
            assertThat(index.has(cached)).isTrue();
            assertThat(index.has(stranger)).isTrue();
            assertThat(index.isLeaf(stranger))
                    .as("a collided node never has children")
                    .isTrue();
            assertThat(index.leafCount()).isEqualTo(2);
            index.checkInvariants();

            assertThat(index.remove(stranger)).isEqualTo(3);
            assertThat(index.has(cached)).isTrue();
            index.insert(stranger, 3);
            assertThat(index.remove(cached)).isEqualTo(2);
            assertThat(index.has(stranger))
                    .as("found through the overflow after the keyed node left")
                    .isTrue();
            index.checkInvariants();

            index.insert(cached, 2); // now the key is free: cached is keyed, stranger stays in the overflow
            assertThat(drain(index)).containsExactlyInAnyOrder(0, 1, 2, 3);
            assertThat(index.nodeCount()).isZero();
            index.checkInvariants();
        }

        @ParameterizedTest
        @EnumSource(LeafOrder.class)
        void insert_strangerPromotingAGhost_movesUnderItsOwnParent(LeafOrder order) {
            // A ghost at key K (parent of a cached child) promoted by a block of another lineage that shares K.
            List<SequenceHash> mine = chain(1, 3);
            List<SequenceHash> theirs = chain(2, 2);
            LineageInactiveIndex index = newIndex(order);
            index.insert(mine.get(0), 0);
            index.insert(mine.get(1), 1);
            index.insert(mine.get(2), 2);
            index.insert(theirs.get(0), 3);
            index.insert(theirs.get(1), 4);
            index.remove(mine.get(1)); // a ghost that keeps mine[2]

            SequenceHash stranger = SequenceHash.of(
                    1,
                    mine.get(1).currentSequenceHash() ^ Long.MIN_VALUE,
                    theirs.get(0).currentSequenceHash());
            assertThat(LineageInactiveIndex.nodeKey(stranger)).isEqualTo(LineageInactiveIndex.nodeKey(mine.get(1)));
            index.insert(stranger, 5);

            assertThat(index.size()).isEqualTo(5);
            assertThat(index.has(stranger)).isTrue();
            assertThat(index.isLeaf(theirs.get(1))).isTrue();
            assertThat(index.isLeaf(mine.get(0)))
                    .as("its ghost child moved away")
                    .isTrue();
            index.checkInvariants();

            index.insert(mine.get(1), 1); // the key is held by the stranger now: a collision
            assertThat(index.collisions()).isOne();
            assertThat(index.size()).isEqualTo(6);
            index.checkInvariants();
            assertThat(drain(index)).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
            assertThat(index.nodeCount()).isZero();
        }
    }
}
