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
        claim(operation);
        disarm();
    }

    /**
     * Consumes the guard but keeps its leak tracker armed, for a batch that may still give it back with
     * {@link #unconsume()}; the batch calls {@link #disarm()} once it commits.
     */
    void claim(String operation) {
        if (!STATE.compareAndSet(this, GuardState.LIVE, GuardState.CONSUMED)) {
            throw GuardState.misuse("CompleteBlock", blockId, state, operation);
        }
    }

    /** Makes a guard taken by {@link #claim} live again: a batch registration that failed validation. */
    void unconsume() {
        STATE.compareAndSet(this, GuardState.CONSUMED, GuardState.LIVE);
    }

    void requireLive(String operation) {
        int s = state;
        if (s != GuardState.LIVE) {
            throw GuardState.misuse("CompleteBlock", blockId, s, operation);
        }
    }

    void disarm() {
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
