package io.kvbm.manager;

import io.kvbm.tokens.SequenceHash;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * One registration of a block in the Primary or Duplicate state: what all {@code ImmutableBlock} handles of it share.
 *
 * <p>{@link #refs} counts the holders: open handles, plus, for a primary, the duplicates pinning it. A holder may drop
 * its reference from any thread while others remain ({@link #releaseIfNotLast()}), but the last reference is always
 * dropped inside the drain loop, together with the slot's transition. So the drain loop never sees a registered slot
 * whose entry has no holder — the window in which kvbm's lookups had to perform an "eager" Primary → Inactive
 * transition cannot occur here. Once the count reaches zero the entry is dead; a resurrected block gets a new entry.
 */
final class ActiveEntry {

    private static final VarHandle REFS;

    static {
        try {
            REFS = MethodHandles.lookup().findVarHandle(ActiveEntry.class, "refs", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int blockId;
    final SequenceHash hash;
    /** For a duplicate: the primary it pins (one reference of the primary's count). Null for a primary. */
    final @Nullable ActiveEntry primary;

    volatile int refs = 1;

    ActiveEntry(int blockId, SequenceHash hash, @Nullable ActiveEntry primary) {
        this.blockId = blockId;
        this.hash = hash;
        this.primary = primary;
    }

    boolean isPrimary() {
        return primary == null;
    }

    /** Adds a holder; the caller runs in the drain loop on a live entry. */
    void retain() {
        REFS.getAndAdd(this, 1);
    }

    /**
     * Adds a holder unless the entry is already dead; for a handle's {@code retain()}, which may race a concurrent
     * (misused) {@code close()} of the same handle that drops the last reference.
     */
    boolean tryRetain() {
        for (; ; ) {
            int r = refs;
            if (r <= 0) {
                return false;
            }
            if (REFS.compareAndSet(this, r, r + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference unless it is the last one; returns false when the caller must go through the drain loop. */
    boolean releaseIfNotLast() {
        for (; ; ) {
            int r = refs;
            if (r <= 1) {
                return false;
            }
            if (REFS.compareAndSet(this, r, r - 1)) {
                return true;
            }
        }
    }

    /** Drops a reference inside the drain loop; returns true if it was the last one. */
    boolean release() {
        int r = (int) REFS.getAndAdd(this, -1) - 1;
        if (r < 0) {
            throw new IllegalStateException("block " + blockId + " (" + hash + ") released more often than held");
        }
        return r == 0;
    }
}
