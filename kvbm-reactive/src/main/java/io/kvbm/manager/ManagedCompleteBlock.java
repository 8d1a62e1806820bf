package io.kvbm.manager;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.tokens.SequenceHash;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;

/** The {@link CompleteBlock} guard of a slot in the STAGED state. */
final class ManagedCompleteBlock implements CompleteBlock {

    private static final AtomicIntegerFieldUpdater<ManagedCompleteBlock> STATE =
            AtomicIntegerFieldUpdater.newUpdater(ManagedCompleteBlock.class, "state");

    final DrainLoop owner;
    private final int blockId;
    private final SequenceHash sequenceHash;
    private volatile int state;

    @Nullable
    LeakTracker tracker;

    /** The tracker {@link #consume} disarmed, kept so that {@link #unconsume} can track the live guard again. */
    @Nullable
    private LeakTracker consumedTracker;

    ManagedCompleteBlock(DrainLoop owner, int blockId, SequenceHash sequenceHash) {
        this.owner = owner;
        this.blockId = blockId;
        this.sequenceHash = sequenceHash;
    }

    @Override
    public int blockId() {
        return blockId;
    }

    @Override
    public int blockSize() {
        return owner.store.blockSize;
    }

    @Override
    public SequenceHash sequenceHash() {
        return sequenceHash;
    }

    @Override
    public MutableBlock reset() {
        consume("reset");
        return owner.unstage(blockId);
    }

    @Override
    public void close() {
        if (STATE.compareAndSet(this, GuardState.LIVE, GuardState.CLOSED)) {
            disarm();
            owner.releaseStaged(blockId);
        }
    }

    /** Consumes the guard for registration; throws if it is not live. */
    void consume(String operation) {
        if (!STATE.compareAndSet(this, GuardState.LIVE, GuardState.CONSUMED)) {
            throw GuardState.misuse("CompleteBlock", blockId, state, operation);
        }
        consumedTracker = tracker;
        disarm();
    }

    /**
     * Makes a guard consumed by {@link #consume} live again: a batch registration that failed validation. The caller
     * owns the guard again, so it is tracked again (with its original acquisition site) if it was tracked before.
     */
    void unconsume() {
        if (STATE.compareAndSet(this, GuardState.CONSUMED, GuardState.LIVE)) {
            LeakTracker t = consumedTracker;
            consumedTracker = null;
            if (t != null) {
                tracker = t.retrack(this);
            }
        }
    }

    void requireLive(String operation) {
        int s = state;
        if (s != GuardState.LIVE) {
            throw GuardState.misuse("CompleteBlock", blockId, s, operation);
        }
    }

    private void disarm() {
        LeakTracker t = tracker;
        if (t != null) {
            tracker = null;
            t.disarm();
        }
    }

    @Override
    public String toString() {
        return "CompleteBlock[block=" + blockId + ", " + sequenceHash + ", manager=" + owner.id + ", "
                + GuardState.name(state) + "]";
    }
}
