package io.kvbm.manager;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.block.WeakBlock;
import io.kvbm.tokens.SequenceHash;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/** One handle to an {@link ActiveEntry}: the {@link ImmutableBlock} guard. */
final class ManagedImmutableBlock implements ImmutableBlock, Runnable {

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(ManagedImmutableBlock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final DrainLoop owner;
    final ActiveEntry entry;
    private volatile int state;

    @Nullable
    LeakTracker tracker;

    ManagedImmutableBlock(DrainLoop owner, ActiveEntry entry) {
        this.owner = owner;
        this.entry = entry;
    }

    @Override
    public int blockId() {
        return entry.blockId;
    }

    @Override
    public SequenceHash sequenceHash() {
        return entry.hash;
    }

    @Override
    public StorageTier tier() {
        return owner.store.tier;
    }

    @Override
    public long managerId() {
        return owner.id;
    }

    @Override
    public ImmutableBlock retain() {
        requireLive("retain");
        // This live handle holds a reference, so the count cannot reach zero unless the same handle is being closed
        // concurrently; tryRetain refuses the dead entry in that case instead of resurrecting it.
        if (!entry.tryRetain()) {
            throw GuardState.misuse("ImmutableBlock", entry.blockId, GuardState.CLOSED, "retain");
        }
        return owner.retainHandle(entry);
    }

    @Override
    public WeakBlock downgrade() {
        requireLive("downgrade");
        return new ManagedWeakBlock(owner, entry);
    }

    @Override
    public int useCount() {
        return Math.max(0, entry.refs);
    }

    @Override
    public void evictOnRelease(boolean evict) {
        requireLive("evictOnRelease");
        owner.setEvictOnRelease(entry.blockId, evict);
    }

    @Override
    public void close() {
        if (STATE.compareAndSet(this, GuardState.LIVE, GuardState.CLOSED)) {
            LeakTracker t = tracker;
            if (t != null) {
                t.disarm();
            }
            owner.releaseHandle(this);
        }
    }

    /** Closes for a batch release ({@link DrainLoop#closeHandles}): the state CAS only; true if it won. */
    boolean closeForBatch() {
        if (STATE.compareAndSet(this, GuardState.LIVE, GuardState.CLOSED)) {
            LeakTracker t = tracker;
            if (t != null) {
                t.disarm();
            }
            return true;
        }
        return false;
    }

    /** Set just before this handle is queued as its own release; published to the loop by the queue. */
    boolean releaseQueued;

    /**
     * The release of the last reference as a drain-loop operation, queued when the loop is busy. Does nothing unless
     * the handle was queued for it, so a stray call cannot release twice.
     */
    @Override
    public void run() {
        if (releaseQueued) {
            releaseQueued = false;
            owner.releaseLastInLoop(entry);
        }
    }

    boolean isLive() {
        return state == GuardState.LIVE;
    }

    private void requireLive(String operation) {
        int s = state;
        if (s != GuardState.LIVE) {
            throw GuardState.misuse("ImmutableBlock", entry.blockId, s, operation);
        }
    }

    @Override
    public String toString() {
        return "ImmutableBlock[block=" + entry.blockId + ", " + entry.hash + ", " + owner.store.tier + ", "
                + (entry.isPrimary() ? "primary" : "duplicate") + ", " + GuardState.name(state) + "]";
    }
}
