package io.kvbm.registry;

import io.kvbm.block.StorageTier;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.jspecify.annotations.Nullable;

/**
 * The shared state behind every {@link RegistrationHandle} of one live registration of a hash.
 *
 * <p>Reference counted: each open handle holds one reference. The count only ever rises from a positive value (a
 * holder retains) or through {@link #tryRetain()}, which refuses a dead entry; so once it reaches zero the entry is
 * dead for good and the registry replaces it on the next registration of the hash.
 */
final class RegistryEntry {

    private static final AtomicIntegerFieldUpdater<RegistryEntry> REFS =
            AtomicIntegerFieldUpdater.newUpdater(RegistryEntry.class, "refs");

    @SuppressWarnings("rawtypes")
    private static final AtomicReferenceFieldUpdater<RegistryEntry, ConcurrentHashMap> ATTACHMENTS =
            AtomicReferenceFieldUpdater.newUpdater(RegistryEntry.class, ConcurrentHashMap.class, "attachments");

    final BlockRegistry registry;
    final SequenceHash hash;
    private final AtomicIntegerArray presence = new AtomicIntegerArray(StorageTier.values().length);

    volatile int refs = 1;

    /** Blocks of any tier holding the hash; 0 → 1 and 1 → 0 are the registry's STORED and REMOVED events. */
    private final AtomicInteger totalPresence = new AtomicInteger();

    /** Whether the registry's event drain last published STORED for this entry; touched by that drain only. */
    boolean published;

    // Created on first attachment: most registrations never carry any.
    volatile @Nullable ConcurrentHashMap<Class<?>, Object> attachments;

    RegistryEntry(BlockRegistry registry, SequenceHash hash) {
        this.registry = registry;
        this.hash = hash;
    }

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

    void release() {
        if (REFS.decrementAndGet(this) == 0) {
            registry.remove(this);
        }
    }

    boolean isLive() {
        return refs > 0;
    }

    void markPresent(StorageTier tier) {
        presence.incrementAndGet(tier.ordinal());
        if (totalPresence.getAndIncrement() == 0) {
            registry.presenceChanged(this);
        }
    }

    void markAbsent(StorageTier tier) {
        int left = presence.decrementAndGet(tier.ordinal());
        if (left < 0) {
            presence.incrementAndGet(tier.ordinal());
            throw new IllegalStateException("presence of " + hash + " in " + tier + " dropped below zero");
        }
        if (totalPresence.decrementAndGet() == 0) {
            registry.presenceChanged(this);
        }
    }

    boolean isPresentAnywhere() {
        return totalPresence.get() > 0;
    }

    boolean isPresent(StorageTier tier) {
        return presence.get(tier.ordinal()) > 0;
    }

    @SuppressWarnings("unchecked")
    ConcurrentHashMap<Class<?>, Object> attachments() {
        ConcurrentHashMap<Class<?>, Object> a = attachments;
        if (a == null) {
            ATTACHMENTS.compareAndSet(this, null, new ConcurrentHashMap<Class<?>, Object>(4));
            a = attachments;
        }
        return a;
    }

    /** A value attached with {@code attachUnique}. */
    static final class Unique {
        final Object value;

        Unique(Object value) {
            this.value = value;
        }
    }

    /** The immutable list of values attached with {@code attach}; replaced, never mutated. */
    static final class Multiple {
        final List<Object> values;

        Multiple(List<Object> values) {
            this.values = values;
        }
    }
}
