package io.kvbm.eviction;

import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.tokens.SequenceHash;
import java.util.Arrays;

/**
 * Four LRU levels by access frequency: every cold block is evicted before any warm one, every warm before any hot.
 *
 * <p>When a block is released its hash's frequency estimate {@code f} picks its level once: {@code f < t1} cold,
 * {@code f < t2} warm, {@code f < t3} hot, otherwise very hot (kvbm's thresholds 3, 8, 15 by default). Within a level
 * the block released longest ago goes first. A level is a doubly linked list threaded through arrays indexed by block
 * id ({@link BlockLists}), so each level can hold every block (kvbm once sized levels to a quarter of the blocks and
 * overflowed); all operations are O(1) and allocation-free. The estimate is read only at insertion: a hit removes the
 * block, and its next release re-evaluates it with the frequency it has then.
 */
final class MultiLruInactiveIndex extends TableIndex {

    private static final int LEVELS = 4;

    private final FrequencyTracker tracker;
    private final int t1;
    private final int t2;
    private final int t3;
    private final BlockLists levels; // one list per level, each in release order

    MultiLruInactiveIndex(int blockCount, FrequencyTracker tracker, int t1, int t2, int t3) {
        super(blockCount);
        this.tracker = tracker;
        this.t1 = t1;
        this.t2 = t2;
        this.t3 = t3;
        this.levels = new BlockLists(LEVELS, blockCount);
    }

    /** Returns the level a hash with frequency estimate {@code f} goes to: 0 cold … 3 very hot. */
    int levelOf(int f) {
        return f < t1 ? 0 : f < t2 ? 1 : f < t3 ? 2 : 3;
    }

    /** Returns the number of blocks in {@code lvl} (tests). */
    int levelSize(int lvl) {
        return levels.size(lvl);
    }

    @Override
    void enqueue(int blockId, SequenceHash hash) {
        levels.append(levelOf(tracker.count(hash)), blockId);
    }

    @Override
    void dequeue(int blockId, boolean hit) {
        levels.unlink(blockId);
    }

    @Override
    int victim() {
        for (int lvl = 0; lvl < LEVELS; lvl++) {
            int id = levels.head(lvl);
            if (id != BlockLists.NIL) {
                return id;
            }
        }
        return NO_BLOCK;
    }

    @Override
    public String toString() {
        int[] sizes = new int[LEVELS];
        for (int lvl = 0; lvl < LEVELS; lvl++) {
            sizes[lvl] = levels.size(lvl);
        }
        return "MultiLruInactiveIndex[thresholds=" + t1 + "/" + t2 + "/" + t3 + ", levels=" + Arrays.toString(sizes)
                + "]";
    }
}
