package io.kvbm.manager;

import io.kvbm.block.BlockSizeMismatchException;
import io.kvbm.block.CompleteBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The {@link MutableBlock} guard of a slot in the MUTABLE state. */
final class ManagedMutableBlock implements MutableBlock, Runnable {

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ManagedMutableBlock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final DrainLoop owner;
    private final int blockId;
    private volatile int state;

    @Nullable
    LeakTracker tracker;

    ManagedMutableBlock(DrainLoop owner, int blockId) {
        this.owner = owner;
        this.blockId = blockId;
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
    public CompleteBlock stage(SequenceHash sequenceHash, int blockSize) {
        Objects.requireNonNull(sequenceHash, "sequenceHash");
        if (blockSize != owner.store.blockSize) {
            // Validate before consuming: a failed transition leaves the guard live.
            requireLive("stage");
            throw new BlockSizeMismatchException(blockId, owner.store.blockSize, blockSize);
        }
        consume("stage");
        return owner.stage(blockId, sequenceHash);
    }

    @Override
    public CompleteBlock complete(TokenBlock tokenBlock) {
        Objects.requireNonNull(tokenBlock, "tokenBlock");
        return stage(tokenBlock.sequenceHash(), tokenBlock.size());
    }

    @Override
    public void close() {
        if (STATE.compareAndSet(this, GuardState.LIVE, GuardState.CLOSED)) {
            disarm();
            owner.releaseMutable(this);
        }
    }

    /** Closes for a batch release ({@link DrainLoop#closeMutables}): the state CAS only; true if it won. */
    boolean closeForBatch() {
        if (STATE.compareAndSet(this, GuardState.LIVE, GuardState.CLOSED)) {
            disarm();
            return true;
        }
        return false;
    }

    /** Set just before this guard is queued as its own release; published to the loop by the queue. */
    boolean releaseQueued;

    /**
     * The release as a drain-loop operation, queued when the loop is busy (no lambda per close). Does nothing unless
     * the guard was queued for it, so a stray call cannot release the slot twice.
     */
    @Override
    public void run() {
        if (releaseQueued) {
            releaseQueued = false;
            owner.store.releaseMutable(blockId);
        }
    }

    private void consume(String operation) {
        if (!STATE.compareAndSet(this, GuardState.LIVE, GuardState.CONSUMED)) {
            throw GuardState.misuse("MutableBlock", blockId, state, operation);
        }
        disarm();
    }

    private void requireLive(String operation) {
        int s = state;
        if (s != GuardState.LIVE) {
            throw GuardState.misuse("MutableBlock", blockId, s, operation);
        }
    }

    private void disarm() {
        LeakTracker t = tracker;
        if (t != null) {
            t.disarm();
        }
    }

    @Override
    public String toString() {
        return "MutableBlock[block=" + blockId + ", manager=" + owner.id + ", " + GuardState.name(state) + "]";
    }
}
