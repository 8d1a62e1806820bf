package io.kvbm.eviction;

import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.tokens.SequenceHash;
import java.util.Objects;

/**
 * Evicts only leaves of the prefix forest, like {@link LineageInactiveIndex}, but picks the leaf whose
 * frequency-weighted expiry comes first: a block's release tick, plus a bonus for each doubling of its TinyLFU
 * frequency, or minus everything when it is the dead tail of a request. The policy of
 * {@link EvictionPolicy#lineageLfu()}.
 */
final class LineageLfuInactiveIndex extends LineageInactiveIndex {

    /*
     * Lineage-LFU eviction
     * --------------------
     *
     * Algorithm. The prefix forest, its ghosts and its leaves-only rule are LineageInactiveIndex's; only the order of
     * the leaves differs. When a block is released into the index it draws the next tick t from a counter of releases
     * and gets a ticket, fixed until it leaves the index:
     *
     *   dead tail        ticket = t - 2^62             (arrived as a leaf under no cached parent, f <= 1)
     *   otherwise        ticket = t + bonus * log2(f)   f = the tracker's estimate, clamped to [1, 15]
     *
     * and the victim is the leaf with the smallest ticket (equal tickets leave in no particular order). Dead tails
     * aside, blocks used once (f = 1) get no bonus and keep lineage's order among themselves: tail to root, oldest
     * chain first. A block used twice outlives a once-used block released up to `bonus` releases after it; four uses
     * buy 2 * bonus, fifteen 3.9 * bonus. A hit takes the block out, and its next release draws a new tick with the
     * frequency it has then. This is GreedyDual-style aging [1] with the frequency term of GDSF [2], on the logarithm
     * of a TinyLFU estimate [3]: the tick is the inflation value, so blocks that stop being used are eventually evicted
     * however popular they once were.
     *
     * Dead tails. A request's last block is usually partial: the next turn of a conversation extends the previous
     * prompt, and its block at that position holds other tokens, so it has another hash. On the Mooncake conversation
     * trace 0.8 % of such blocks are ever used again, against 25 % of the other new blocks. The index recognises the
     * tail structurally: a request releases tail first (docs/eviction.md), so its last block arrives as a leaf while
     * its parent is still held, i.e. a ghost. A block seen before (f >= 2) keeps its bonus, and a dead tail that
     * gains children is not a leaf until they are gone, so a wrong guess costs one block at most. Blocks released
     * root first arrive under a cached parent and are never taken for tails; only a new root released alone is.
     *
     * Why it works on these traces. Reuse is far apart: on the conversation trace the median reuse distance is about
     * 11 000 block releases, twice the 5 859-block capacity of the Mooncake paper, so LRU evicts a conversation's
     * prefix just before its next turn; and 76 % of blocks are never used again. The frequency estimate is the one
     * online signal that separates them: the chance that a block is used again grows from 24 % after one use to 42 %,
     * 50 % and 58 % after two, three and four, roughly in proportion to 1 + 0.75 log2(f), which is why the bonus is
     * logarithmic.
     * A static policy that knows, per class (tail, f = 1 .. 6+), the offline distribution of reuse distances and
     * chooses the best retention time for each reaches about 18.5 % there (docs/policies.md); this index gets 17.5 %
     * with the default bonus, against 13.6 % for LRU and 35.2 % for Belady.
     *
     * Choosing the bonus. It is a time, in block releases: it should be about the distance at which the workload
     * reuses prefixes. Too small and the policy is lineage (LRU); too large and once-popular chains crowd out recent
     * ones. The default is max(blockCount, 10 000): 10 000 is near the conversation trace's median reuse distance,
     * and a cache larger than that gets at least one cache's worth of releases per doubling.
     *
     * Design notes. The bonus does not adapt. Hill climbing it on the hit ratio of each period (Caffeine's window
     * tuning), scaling it with the age of recent hits, and estimating the reuse distance from a sampled ghost table
     * were each noisier than the fixed default on the three workloads of docs/policies.md, which also lists the
     * policies that lost outright (TinyLFU admission, SLRU, ARC, S3-FIFO, LHD, linear bonuses, depth penalties).
     *
     * Cost. One tracker read per insert; the leaves sit in a TicketHeap by ticket, so insert, remove, take and evict
     * are O(log L) over L leaves, plus the forest's O(1) expected. Nothing is allocated after construction (tickets
     * live in the heap's per-node array). Memory is lineage's.
     *
     * [1] N. Young, "The k-server dual and loose competitiveness for paging", Algorithmica 11, 1994 (GreedyDual).
     * [2] L. Cherkasova, "Improving WWW proxies performance with Greedy-Dual-Size-Frequency caching policy", HP Labs
     *     HPL-98-69R1, 1998.
     * [3] G. Einziger, R. Friedman, B. Manes, "TinyLFU: A highly efficient cache admission policy", ACM Transactions
     *     on Storage 13(4), 2017.
     */

    /** The largest frequency that earns a bonus: a TinyLFU counter saturates at 15. */
    static final int MAX_FREQUENCY = 15;

    /** What a dead tail's tick is shifted by: below every other ticket as long as ticks stay under 2^62. */
    static final long DEAD_TAIL_SHIFT = 1L << 62;

    private final int frequencyBonus;

    LineageLfuInactiveIndex(int blockCount, FrequencyTracker tracker, int frequencyBonus) {
        super(blockCount, "LFU", (capacity, blocks) -> new ValueLeaves(capacity, blocks, tracker, frequencyBonus));
        this.frequencyBonus = frequencyBonus;
    }

    /** Returns the ticket of a cached block (smaller is evicted first), or {@link Long#MAX_VALUE} if absent (tests). */
    long ticket(SequenceHash hash) {
        int node = nodeOf(hash);
        return node < 0 ? Long.MAX_VALUE : ((ValueLeaves) leaves()).heap.ticket(node);
    }

    /** Returns whether a cached block was taken for a request's dead tail (tests). */
    boolean isDeadTail(SequenceHash hash) {
        return ticket(hash) < 0;
    }

    @Override
    public String toString() {
        return "LineageLfuInactiveIndex[bonus=" + frequencyBonus + ", size=" + size() + ", ghosts="
                + (nodeCount() - size()) + "]";
    }

    /** Leaves in lineage's {@link TicketHeap}, by frequency-weighted expiry instead of the plain tick. */
    private static final class ValueLeaves extends TickLeaves {

        private final FrequencyTracker tracker;
        private final long[] bonusOf; // by frequency, 0 .. MAX_FREQUENCY: round(frequencyBonus * log2(max(f, 1)))

        ValueLeaves(int capacity, int blockCount, FrequencyTracker tracker, int frequencyBonus) {
            super(capacity, blockCount);
            this.tracker = Objects.requireNonNull(tracker, "tracker");
            if (frequencyBonus < 1) {
                throw new IllegalArgumentException("frequencyBonus must be positive, got " + frequencyBonus);
            }
            this.bonusOf = new long[MAX_FREQUENCY + 1];
            for (int f = 2; f <= MAX_FREQUENCY; f++) {
                bonusOf[f] = Math.round(frequencyBonus * (Math.log(f) / Math.log(2)));
            }
        }

        @Override
        long ticket(long tick, SequenceHash hash, boolean releasedAsTail) {
            int f = Math.max(0, Math.min(tracker.count(hash), MAX_FREQUENCY));
            return releasedAsTail && f <= 1 ? tick - DEAD_TAIL_SHIFT : tick + bonusOf[f];
        }
    }
}
