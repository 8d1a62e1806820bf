package io.kvbm.manager;

import io.kvbm.tokens.SequenceHash;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The store's map from hash to active primary: an open-addressing table of the {@link ActiveEntry}s themselves, keyed
 * by their {@link ActiveEntry#hash}.
 *
 * <p>Replaces a {@code HashMap<SequenceHash, ActiveEntry>} on the match path: a lookup reads the slot's entry and
 * compares its hash, where the {@code HashMap} read a node, its key and its value, and nothing is allocated per
 * primary (a {@code HashMap} node is 32 bytes). Linear probing with backward-shift deletion (no tombstones) at a load
 * factor of at most 1/2; the table doubles as primaries are added, never shrinks, and holds at most one entry per
 * block. Drain-loop only.
 */
final class ActiveMap {

    private static final int MIN_SLOTS = 16;

    private ActiveEntry[] table = new ActiveEntry[MIN_SLOTS];
    private int mask = MIN_SLOTS - 1;
    private int size;

    int size() {
        return size;
    }

    /** The primary holding {@code hash}, or null. */
    @Nullable
    ActiveEntry get(SequenceHash hash) {
        ActiveEntry[] t = table;
        int m = mask;
        for (int i = slot(hash, m); ; i = (i + 1) & m) {
            ActiveEntry e = t[i];
            if (e == null) {
                return null;
            }
            SequenceHash k = e.hash;
            if (k == hash || k.equals(hash)) {
                return e;
            }
        }
    }

    /** Adds {@code entry} under its hash, replacing a primary with the same hash (the store never has one). */
    void put(ActiveEntry entry) {
        if ((size + 1) * 2 > table.length) {
            grow();
        }
        SequenceHash hash = entry.hash;
        for (int i = slot(hash, mask); ; i = (i + 1) & mask) {
            ActiveEntry e = table[i];
            if (e == null) {
                table[i] = entry;
                size++;
                return;
            }
            if (e.hash.equals(hash)) {
                table[i] = entry;
                return;
            }
        }
    }

    /** Removes the primary holding {@code hash}; returns whether there was one. */
    boolean remove(SequenceHash hash) {
        ActiveEntry[] t = table;
        int m = mask;
        int i = slot(hash, m);
        for (; ; i = (i + 1) & m) {
            ActiveEntry e = t[i];
            if (e == null) {
                return false;
            }
            if (e.hash == hash || e.hash.equals(hash)) {
                break;
            }
        }
        // backward-shift deletion: pull later members of the probe run into the hole
        int hole = i;
        for (int j = (hole + 1) & m; ; j = (j + 1) & m) {
            ActiveEntry e = t[j];
            if (e == null) {
                break;
            }
            int home = slot(e.hash, m);
            // move e if its home is not cyclically within (hole, j]
            if (((j - home) & m) >= ((j - hole) & m)) {
                t[hole] = e;
                hole = j;
            }
        }
        t[hole] = null;
        size--;
        return true;
    }

    /** Every primary, in table order (audits and snapshots). */
    void forEach(Consumer<ActiveEntry> action) {
        for (ActiveEntry e : table) {
            if (e != null) {
                action.accept(e);
            }
        }
    }

    private void grow() {
        ActiveEntry[] old = table;
        table = new ActiveEntry[old.length * 2];
        mask = table.length - 1;
        size = 0;
        for (ActiveEntry e : old) {
            if (e != null) {
                put(e);
            }
        }
    }

    private static int slot(SequenceHash hash, int mask) {
        // the hash code is cached and well mixed; the multiply spreads it over the high bits we keep
        return (int) ((hash.hashCode() * 0x9E37_79B9_7F4A_7C15L) >>> 32) & mask;
    }
}
