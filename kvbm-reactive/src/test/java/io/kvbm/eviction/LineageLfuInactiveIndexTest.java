package io.kvbm.eviction;

import static io.kvbm.eviction.InactiveIndex.NO_BLOCK;
import static io.kvbm.eviction.TestHashes.chain;
import static io.kvbm.eviction.TestHashes.chainFrom;
import static io.kvbm.eviction.TestHashes.roots;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.eviction.MultiLruInactiveIndexTest.FixedCounts;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;
import io.kvbm.tokens.SequenceHash;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order of {@link LineageLfuInactiveIndex}: release tick plus a bonus per doubling of the frequency, dead tails
 * first, leaves only. The contract is in {@link LineageLfuInactiveIndexContractTest}; random forests against a naive
 * model in {@link LineageInactiveIndexModelTest}. Ticks count inserts from 0, so a test knows each block's tick.
 */
class LineageLfuInactiveIndexTest {

    private static final int BLOCKS = 16;
    private static final int BONUS = 4;

    private final FixedCounts counts = new FixedCounts();
    private final List<SequenceHash> byId = new ArrayList<>();
    private final LineageLfuInactiveIndex index = new LineageLfuInactiveIndex(BLOCKS, counts, BONUS);

    /** Releases {@code hash}, estimated at {@code f}, into the next block id. */
    private void release(SequenceHash hash, int f) {
        counts.counts.put(hash, f);
        index.insert(hash, byId.size());
        byId.add(hash);
    }

    private List<SequenceHash> drain() {
        List<SequenceHash> evicted = new ArrayList<>();
        for (int id = index.evict(); id != NO_BLOCK; id = index.evict()) {
            evicted.add(byId.get(id));
            index.checkInvariants();
        }
        return evicted;
    }

    @Test
    void evict_onceUsedChainsReleasedRootFirst_goTailToRootOldestChainFirstLikeLineage() {
        List<SequenceHash> a = chain(1, 3);
        List<SequenceHash> x = chain(2, 2);
        a.forEach(h -> release(h, 1));
        x.forEach(h -> release(h, 1));

        // Each root arrived alone (a dead tail), but it has children: it goes right after them, as lineage has it.
        assertThat(drain()).containsExactly(a.get(2), a.get(1), a.get(0), x.get(1), x.get(0));
    }

    @Test
    void evict_frequentBlock_outlivesOnceUsedBlocksReleasedWithinTheBonusOnly() {
        SequenceHash prompt = roots(3, 1).get(0);
        List<SequenceHash> turn = new ArrayList<>();
        for (long seed = 10; seed < 17; seed++) {
            turn.add(chainFrom(prompt, seed, 2).get(1));
        }
        release(prompt, 15); // tick 0, ticket 0 + round(4 log2 15) = 16; a leaf only when its children are gone
        release(turn.get(0), 2); // tick 1, ticket 1 + 4 = 5
        release(turn.get(1), 1); // ticks 2, 3, 4: tickets 2, 3, 4
        release(turn.get(2), 1);
        release(turn.get(3), 1);
        release(turn.get(4), 4); // tick 5, ticket 5 + 8 = 13
        release(turn.get(5), 1); // ticks 6, 7: tickets 6, 7
        release(turn.get(6), 1);

        assertThat(index.ticket(turn.get(0))).isEqualTo(5);
        assertThat(index.ticket(prompt)).isEqualTo(16);
        assertThat(drain())
                .containsExactly(
                        turn.get(1),
                        turn.get(2),
                        turn.get(3),
                        turn.get(0),
                        turn.get(5),
                        turn.get(6),
                        turn.get(4),
                        prompt);
    }

    @Test
    void insert_tailReleasedWhileItsParentIsHeld_isADeadTailEvictedFirst() {
        List<SequenceHash> old = chain(4, 2);
        List<SequenceHash> request = chain(5, 3);
        release(old.get(0), 1); // an older chain, root first: ticks 0, 1
        release(old.get(1), 1);
        release(request.get(2), 1); // a request releasing tail first: its tail arrives under a held parent
        release(request.get(1), 1);
        release(request.get(0), 1);

        assertThat(index.isDeadTail(request.get(2))).isTrue();
        assertThat(index.isDeadTail(request.get(1))).isFalse();
        assertThat(index.isDeadTail(request.get(0))).isFalse();
        assertThat(drain()).containsExactly(request.get(2), old.get(1), old.get(0), request.get(1), request.get(0));
    }

    @Test
    void evict_twoRequestsReleasedTailFirst_followTheEvictionGuide() {
        // docs/eviction.md: A -> B -> C used 4, 2 and 1 times, then a new X -> Y -> Z, each released tail first.
        LineageLfuInactiveIndex guide = new LineageLfuInactiveIndex(BLOCKS, counts, 10);
        List<SequenceHash> abc = chain(13, 3);
        List<SequenceHash> xyz = chain(14, 3);
        int[] f = {4, 2, 1};
        List<SequenceHash> released = new ArrayList<>();
        for (List<SequenceHash> request : List.of(abc, xyz)) {
            for (int i = 2; i >= 0; i--) {
                counts.counts.put(request.get(i), request == abc ? f[i] : 1);
                guide.insert(request.get(i), released.size());
                released.add(request.get(i));
            }
        }

        List<SequenceHash> evicted = new ArrayList<>();
        for (int id = guide.evict(); id != NO_BLOCK; id = guide.evict()) {
            evicted.add(released.get(id));
        }

        assertThat(evicted).containsExactly(abc.get(2), xyz.get(2), xyz.get(1), xyz.get(0), abc.get(1), abc.get(0));
    }

    @Test
    void insert_tailSeenBefore_keepsItsBonus() {
        List<SequenceHash> request = chain(6, 2);
        release(request.get(1), 2); // the tail, but used before: a full block that a later turn may match again
        release(request.get(0), 1);

        assertThat(index.isDeadTail(request.get(1))).isFalse();
        assertThat(index.ticket(request.get(1))).isEqualTo(0 + BONUS);
    }

    @Test
    void evict_deadTailThatGainedAChild_waitsForTheChild() {
        SequenceHash prompt = roots(7, 1).get(0);
        SequenceHash older = chainFrom(prompt, 70, 2).get(1);
        List<SequenceHash> reply = chain(8, 2);
        release(prompt, 15); // tick 0, ticket 16
        release(older, 1); // tick 1, ticket 1
        release(reply.get(0), 1); // tick 2: arrives alone, a dead tail
        release(reply.get(1), 1); // tick 3, under a cached parent: ticket 3

        assertThat(index.isDeadTail(reply.get(0))).isTrue();
        assertThat(index.isLeaf(reply.get(0))).isFalse();
        assertThat(drain()).containsExactly(older, reply.get(1), reply.get(0), prompt);
    }

    @Test
    void insert_afterAHit_drawsANewTicketWithTheFrequencyItHasThen() {
        SequenceHash prompt = roots(9, 1).get(0);
        SequenceHash a = chainFrom(prompt, 90, 2).get(1);
        SequenceHash b = chainFrom(prompt, 91, 2).get(1);
        release(prompt, 15); // tick 0
        release(a, 1); // tick 1
        release(b, 1); // tick 2
        int id = index.remove(a); // a hit: a is active
        counts.counts.put(a, 2);
        index.insert(a, id); // tick 3, ticket 3 + 4

        assertThat(index.ticket(a)).isEqualTo(3 + BONUS);
        assertThat(index.evict()).isEqualTo(byId.indexOf(b));
        assertThat(index.evict()).isEqualTo(id);
    }

    @Test
    void insert_frequencyOutsideOneToFifteen_isClamped() {
        SequenceHash prompt = roots(10, 1).get(0);
        SequenceHash never = chainFrom(prompt, 100, 2).get(1);
        SequenceHash huge = chainFrom(prompt, 101, 2).get(1);
        SequenceHash fifteen = chainFrom(prompt, 102, 2).get(1);
        release(prompt, 15); // tick 0
        release(never, 0); // tick 1: a no-op tracker's 0 earns what 1 earns, nothing
        release(huge, 1_000); // tick 2: counts as 15
        release(fifteen, 15); // tick 3

        long bonus15 = Math.round(BONUS * Math.log(15) / Math.log(2));
        assertThat(index.ticket(never)).isEqualTo(1);
        assertThat(index.ticket(huge)).isEqualTo(2 + bonus15);
        assertThat(index.ticket(fifteen)).isEqualTo(3 + bonus15);
        assertThat(index.ticket(roots(11, 1).get(0))).as("absent").isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void steadyState_requestsHittingAndEvicting_allocateNothing() {
        // The SPI asks indices not to allocate in steady state: the forest's slab, its key table and the heap are sized
        // up front, and the tracker read is a sketch lookup. Requests here match their cached prefix, take a stale copy
        // or a victim for every other block, and release tail first, as the manager's replay does.
        int blocks = 256;
        FrequencyTracker tracker = FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.SMALL);
        LineageLfuInactiveIndex lfu = new LineageLfuInactiveIndex(blocks, tracker, 100);
        List<List<SequenceHash>> requests = new ArrayList<>();
        for (int r = 0; r < 64; r++) {
            requests.add(chainFrom(roots(12, 4).get(r % 4), r, 8)); // four prompts, 64 conversations of 8 blocks
        }
        requests.forEach(chain -> chain.forEach(tracker::touch));
        int[] free = new int[blocks];
        for (int id = 0; id < blocks; id++) {
            free[id] = id;
        }
        int[] freeCount = {blocks};
        int[] held = new int[8];
        Runnable round = () -> {
            for (int r = 0; r < requests.size(); r++) {
                List<SequenceHash> chain = requests.get(r);
                int hits = 0;
                while (hits < chain.size() && (held[hits] = lfu.remove(chain.get(hits))) != NO_BLOCK) {
                    hits++;
                }
                for (int i = hits; i < chain.size(); i++) {
                    int stale = lfu.remove(chain.get(i)); // cached behind the miss: recomputed into the same slot
                    held[i] = stale != NO_BLOCK ? stale : freeCount[0] > 0 ? free[--freeCount[0]] : lfu.evict();
                }
                for (int i = chain.size() - 1; i >= 0; i--) {
                    lfu.insert(chain.get(i), held[i]);
                }
            }
        };
        round.run(); // warm up: fill the cache, reach the steady state and let the JIT compile
        round.run();

        long before = allocatedBytes();
        for (int i = 0; i < 200; i++) {
            round.run();
        }
        long allocated = allocatedBytes() - before;

        assertThat(lfu.size()).isEqualTo(blocks);
        // A few KiB are the JVM's own (compilation, the measurement itself) and do not grow with the rounds; one
        // object per operation would be megabytes.
        assertThat(allocated).as("bytes allocated by 102 400 releases").isLessThan(8_192);
        lfu.checkInvariants();
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void lineageLfu_defaultBonus_isTheLargerOfTheBlockCountAndTenThousand() {
        FrequencyTracker tracker = FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.SMALL);

        InactiveIndex small = EvictionPolicy.lineageLfu().newIndex(new EvictionPolicy.Context(16, tracker, true));
        InactiveIndex large = EvictionPolicy.lineageLfu().newIndex(new EvictionPolicy.Context(20_000, tracker, true));
        InactiveIndex custom = EvictionPolicy.lineageLfu(123).newIndex(new EvictionPolicy.Context(16, tracker, true));

        assertThat(small).isInstanceOf(LineageLfuInactiveIndex.class);
        assertThat(small.toString()).contains("bonus=10000");
        assertThat(large.toString()).contains("bonus=20000");
        assertThat(custom.toString()).contains("bonus=123");
        assertThat(EvictionPolicy.lineageLfu().name()).isEqualTo("lineage-lfu");
        assertThat(EvictionPolicy.lineageLfu(123).name()).isEqualTo("lineage-lfu(123)");
        assertThat(EvictionPolicy.lineageLfu()).isSameAs(EvictionPolicy.lineageLfu());
    }

    @Test
    void lineageLfu_bonusBelowOne_rejectedWithTheValue() {
        assertThatThrownBy(() -> EvictionPolicy.lineageLfu(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lineageLfu frequencyBonus must be >= 1, got 0");
        assertThatThrownBy(() -> EvictionPolicy.lineageLfu(-5)).hasMessageContaining("got -5");
        assertThatThrownBy(() -> new LineageLfuInactiveIndex(4, new FixedCounts(), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }

    @Test
    void newIndex_withoutFrequencyTracking_failsNamingTheRemedy() {
        assertThat(EvictionPolicy.lineageLfu().requiresFrequencyTracking()).isTrue();
        assertThat(EvictionPolicy.lineageLfu(7).requiresFrequencyTracking()).isTrue();
        assertThatThrownBy(() -> EvictionPolicy.lineageLfu()
                        .newIndex(new EvictionPolicy.Context(8, FrequencyTracker.noop(), false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs a registry with frequency tracking");
    }
}
