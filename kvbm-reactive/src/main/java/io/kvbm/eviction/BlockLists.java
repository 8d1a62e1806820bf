package io.kvbm.eviction;

import java.util.Arrays;

/**
 * {@code k} intrusive doubly linked lists over ids in {@code [0, n)}, each id in at most one list at a time.
 *
 * <p>Why it exists: {@link LruInactiveIndex} (one list in release order), {@link MultiLruInactiveIndex} (one list per
 * frequency level) and {@link LineageInactiveIndex}'s FIFO order (one list of leaves) all need a queue they can also
 * take an arbitrary member out of. The links are two {@code int} arrays indexed by id, so {@link #append},
 * {@link #unlink}, {@link #head} and {@link #contains} are O(1), nothing is allocated after construction (or
 * {@link #grow}), and any one list can hold every id: there is no per-list capacity to overflow.
 *
 * <p>Not thread-safe; callers check their ids: an id out of range is an {@link ArrayIndexOutOfBoundsException}.
 */
final class BlockLists {

    /** The end of a list: what {@link #head} and {@link #next} return when there is no id. */
    static final int NIL = -1;

    private static final int UNLINKED = -2; // prev of an id in no list

    private int[] prev; // UNLINKED while the id is in no list
    private int[] next;
    private byte[] listOf; // the list an id is in; null when there is only one list
    private final int[] heads;
    private final int[] tails;
    private final int[] sizes;

    /**
     * Creates {@code lists} empty lists over ids in {@code [0, ids)}.
     *
     * @param lists the number of lists, in {@code [1, 127]}
     * @param ids the id range; see {@link #grow}
     */
    BlockLists(int lists, int ids) {
        if (lists < 1 || lists > Byte.MAX_VALUE) {
            throw new IllegalArgumentException("lists must be in [1, " + Byte.MAX_VALUE + "], got " + lists);
        }
        this.prev = new int[ids];
        this.next = new int[ids];
        Arrays.fill(prev, UNLINKED);
        this.listOf = lists == 1 ? null : new byte[ids];
        this.heads = new int[lists];
        this.tails = new int[lists];
        this.sizes = new int[lists];
        Arrays.fill(heads, NIL);
        Arrays.fill(tails, NIL);
    }

    /**
     * Appends {@code id} at the tail of {@code list}.
     *
     * @throws IllegalStateException if {@code id} is already in a list
     */
    void append(int list, int id) {
        if (prev[id] != UNLINKED) {
            throw new IllegalStateException("id " + id + " is already in list " + listOf(id));
        }
        int last = tails[list];
        prev[id] = last;
        next[id] = NIL;
        if (last == NIL) {
            heads[list] = id;
        } else {
            next[last] = id;
        }
        tails[list] = id;
        if (listOf != null) {
            listOf[id] = (byte) list;
        }
        sizes[list]++;
    }

    /**
     * Takes {@code id} out of its list, if it is in one.
     *
     * @return whether it was in a list
     */
    boolean unlink(int id) {
        int p = prev[id];
        if (p == UNLINKED) {
            return false;
        }
        int list = listOf(id);
        int n = next[id];
        if (p == NIL) {
            heads[list] = n;
        } else {
            next[p] = n;
        }
        if (n == NIL) {
            tails[list] = p;
        } else {
            prev[n] = p;
        }
        prev[id] = UNLINKED;
        next[id] = NIL;
        sizes[list]--;
        return true;
    }

    /** Returns whether {@code id} is in a list. */
    boolean contains(int id) {
        return prev[id] != UNLINKED;
    }

    /** Returns the oldest id of {@code list}, or {@link #NIL} if it is empty. */
    int head(int list) {
        return heads[list];
    }

    /** Returns the id after {@code id} in its list, or {@link #NIL} at the tail or for an id in no list. */
    int next(int id) {
        return next[id];
    }

    /** Returns the number of ids in {@code list}. */
    int size(int list) {
        return sizes[list];
    }

    /** Widens the id range to {@code [0, ids)}, keeping every list. */
    void grow(int ids) {
        int old = prev.length;
        if (ids <= old) {
            return;
        }
        prev = Arrays.copyOf(prev, ids);
        next = Arrays.copyOf(next, ids);
        Arrays.fill(prev, old, ids, UNLINKED);
        if (listOf != null) {
            listOf = Arrays.copyOf(listOf, ids);
        }
    }

    /**
     * Walks every list and throws if links disagree, a list does not end at its tail, a size is wrong, or an id is
     * marked as listed without being reachable. O(ids); for tests.
     *
     * @throws IllegalStateException naming the first broken invariant
     */
    void checkInvariants() {
        int listed = 0;
        for (int list = 0; list < heads.length; list++) {
            int count = 0;
            int before = NIL;
            for (int id = heads[list]; id != NIL; id = next[id]) {
                check(prev[id] == before, "id " + id + " has a wrong previous id");
                check(listOf(id) == list, "id " + id + " is reachable from list " + list + " but marked otherwise");
                before = id;
                check(++count <= sizes[list], "list " + list + " is longer than its size " + sizes[list]);
            }
            check(before == tails[list] && count == sizes[list], "list " + list + " does not end at its tail");
            listed += count;
        }
        int marked = 0;
        for (int p : prev) {
            if (p != UNLINKED) {
                marked++;
            }
        }
        check(marked == listed, marked + " ids are marked as listed but " + listed + " are reachable");
    }

    @Override
    public String toString() {
        return "BlockLists[sizes=" + Arrays.toString(sizes) + "]";
    }

    private int listOf(int id) {
        return listOf == null ? 0 : listOf[id];
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
