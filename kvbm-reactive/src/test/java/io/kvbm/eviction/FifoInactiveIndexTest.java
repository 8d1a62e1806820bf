package io.kvbm.eviction;

import static io.kvbm.eviction.InactiveIndexContractTest.drain;
import static io.kvbm.eviction.TestHashes.root;
import static io.kvbm.eviction.TestHashes.roots;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FifoInactiveIndexTest {

    private final FifoInactiveIndex index = new FifoInactiveIndex(8);

    @Test
    void evict_afterInserts_returnsVictimsInFirstInsertionOrder() {
        index.insert(root(0), 6);
        index.insert(root(1), 0);
        index.insert(root(2), 3);
        index.insert(root(3), 1);

        assertThat(drain(index)).containsExactly(6, 0, 3, 1);
    }

    @Test
    void insert_samePairAfterHit_keepsOriginalPlace() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);
        index.insert(root(2), 2);

        assertThat(index.remove(root(0))).isZero(); // a cache hit...
        index.insert(root(0), 0); // ...does not refresh the block when it comes back

        assertThat(drain(index)).containsExactly(0, 1, 2);
    }

    @Test
    void insert_newHashInSameSlotAfterHit_getsNewTicket() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        index.remove(root(0));
        index.insert(root(9), 0); // the slot now caches another block: it entered the cache last

        assertThat(drain(index)).containsExactly(1, 0);
    }

    @Test
    void insert_samePairAfterEviction_getsNewTicket() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        assertThat(index.evict()).isZero();
        index.insert(root(0), 0); // evicted means gone: coming back is a new entry

        assertThat(drain(index)).containsExactly(1, 0);
    }

    @Test
    void insert_samePairAfterTake_getsNewTicket() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        assertThat(index.take(root(0), 0)).isTrue();
        index.insert(root(0), 0);

        assertThat(drain(index)).containsExactly(1, 0);
    }

    @Test
    void insert_samePairAfterHitAndForget_getsNewTicket() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        index.remove(root(0));
        index.forget(0); // released to the reset pool: its next registration is a new entry
        index.insert(root(0), 0);

        assertThat(drain(index)).containsExactly(1, 0);
    }

    @Test
    void forget_blockStillInIndex_keepsItsPlace() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        index.forget(0);
        index.forget(-1);
        index.forget(8);

        assertThat(index.size()).isEqualTo(2);
        index.remove(root(0));
        index.insert(root(0), 0);
        assertThat(drain(index)).containsExactly(0, 1);
    }

    @Test
    void has_present_doesNotChangeEvictionOrder() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        assertThat(index.has(root(1))).isTrue();
        assertThat(index.has(root(0))).isTrue();

        assertThat(drain(index)).containsExactly(0, 1);
    }

    @Test
    void allocate_moreThanSize_returnsEveryEntry() {
        // kvbm-core §8 invariant 33
        index.insert(root(0), 4);
        index.insert(root(1), 2);
        List<Integer> victims = new ArrayList<>();

        assertThat(index.allocate(5, victims::add)).isEqualTo(2);
        assertThat(victims).containsExactly(4, 2);
    }

    @Test
    void take_exactPair_removesOnlyThatPair() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        assertThat(index.take(root(0), 1)).isFalse();
        assertThat(index.take(root(7), 0)).isFalse();
        assertThat(index.take(root(0), -1)).isFalse();
        assertThat(index.take(root(0), 8)).isFalse();
        assertThat(index.size()).isEqualTo(2);

        assertThat(index.take(root(1), 1)).isTrue();
        assertThat(drain(index)).containsExactly(0);
    }

    @Test
    void insert_duplicates_throwAndChangeNothing() {
        index.insert(root(0), 0);
        index.insert(root(1), 1);

        assertThatThrownBy(() -> index.insert(root(0), 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(root(0).toString());
        assertThatThrownBy(() -> index.insert(root(2), 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("block 1");

        assertThat(index.size()).isEqualTo(2);
        assertThat(index.has(root(2))).isFalse();
        assertThat(drain(index)).containsExactly(0, 1);
    }

    @Test
    void evict_empty_returnsNoBlock() {
        assertThat(index.evict()).isEqualTo(InactiveIndex.NO_BLOCK);
        assertThat(index.remove(root(0))).isEqualTo(InactiveIndex.NO_BLOCK);
    }

    @Test
    void removeFromMiddle_manyEntries_keepsHeapOrder() {
        FifoInactiveIndex big = new FifoInactiveIndex(64);
        List<SequenceHash> h = roots(0, 64);
        for (int i = 0; i < 64; i++) {
            big.insert(h.get(i), 63 - i);
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            if (i % 3 == 0) {
                assertThat(big.remove(h.get(i))).isEqualTo(63 - i);
            } else {
                expected.add(63 - i);
            }
        }

        assertThat(drain(big)).containsExactlyElementsOf(expected);
    }

    static LongStream seeds() {
        return LongStream.range(0, 30).map(i -> 0xF1F0_0000L + i);
    }

    /**
     * The reference keeps, per block id, the pair that last got a ticket and that ticket; a victim is the smallest
     * ticket among the present blocks. A remove (hit) keeps the memory; an evict, a take, or a forget of a block that
     * is not present drops it.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomOperations_matchTicketModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int capacity = 1 + random.nextInt(24);
        FifoInactiveIndex fifo = new FifoInactiveIndex(capacity);
        Map<SequenceHash, Integer> present = new HashMap<>();
        Map<Integer, SequenceHash> presentById = new HashMap<>();
        Map<Integer, SequenceHash> remembered = new HashMap<>();
        Map<Integer, Long> ticketOf = new HashMap<>();
        TreeMap<Long, Integer> order = new TreeMap<>();
        long[] nextTicket = {0};
        List<SequenceHash> pool = roots(0, capacity + 3);

        for (int step = 0; step < 600; step++) {
            SequenceHash hash = pool.get(random.nextInt(pool.size()));
            int id = random.nextInt(capacity);
            String at = "seed " + seed + ", step " + step;
            switch (random.nextInt(6)) {
                case 0:
                case 1:
                    if (present.containsKey(hash) || presentById.containsKey(id)) {
                        assertThatThrownBy(() -> fifo.insert(hash, id))
                                .as(at)
                                .isInstanceOf(IllegalStateException.class);
                    } else {
                        fifo.insert(hash, id);
                        if (!hash.equals(remembered.get(id))) {
                            remembered.put(id, hash);
                            ticketOf.put(id, nextTicket[0]++);
                        }
                        present.put(hash, id);
                        presentById.put(id, hash);
                        order.put(ticketOf.get(id), id);
                    }
                    break;
                case 2:
                    Integer hit = present.remove(hash);
                    if (hit != null) {
                        presentById.remove(hit);
                        order.remove(ticketOf.get(hit));
                    }
                    assertThat(fifo.remove(hash)).as(at).isEqualTo(hit == null ? InactiveIndex.NO_BLOCK : hit);
                    break;
                case 3:
                    int takeId = random.nextInt(capacity + 2) - 1;
                    boolean pair = hash.equals(presentById.get(takeId));
                    if (pair) {
                        present.remove(hash);
                        presentById.remove(takeId);
                        order.remove(ticketOf.get(takeId));
                        remembered.remove(takeId);
                    }
                    assertThat(fifo.take(hash, takeId)).as(at).isEqualTo(pair);
                    break;
                case 4:
                    if (!presentById.containsKey(id)) {
                        remembered.remove(id);
                    }
                    fifo.forget(id);
                    break;
                default:
                    Map.Entry<Long, Integer> first = order.pollFirstEntry();
                    int expected = InactiveIndex.NO_BLOCK;
                    if (first != null) {
                        expected = first.getValue();
                        present.remove(presentById.remove(expected));
                        remembered.remove(expected);
                    }
                    assertThat(fifo.evict()).as(at).isEqualTo(expected);
                    break;
            }
            assertThat(fifo.size()).as(at).isEqualTo(present.size());
            assertThat(fifo.has(hash)).as(at).isEqualTo(present.containsKey(hash));
        }
        assertThat(drain(fifo)).as("final eviction order, seed %d", seed).containsExactlyElementsOf(order.values());
    }
}
