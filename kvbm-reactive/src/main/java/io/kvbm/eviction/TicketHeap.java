package io.kvbm.eviction;

import java.util.Arrays;

/**
 * An indexed binary min-heap of ids in {@code [0, capacity)}, each with a {@code long} ticket: {@link #peek()} is an
 * id with the smallest ticket. Ties come out in no particular order; the indices draw tickets from a counter, so they
 * have none.
 *
 * <p>Why it exists: {@link FifoInactiveIndex} (block ids by ticket) and {@link LineageInactiveIndex}'s TICK order
 * (leaf nodes by tick) both need the smallest key now, and to take out an arbitrary member (a cache hit, a leaf that
 * got a child) as fast. A {@code PriorityQueue} removes by scanning and a {@code TreeSet} allocates an entry per add;
 * this heap keeps each id's position in an array, so {@link #add}, {@link #remove} and {@link #poll} are O(log n),
 * {@link #contains} is O(1), and nothing is allocated after construction (or {@link #grow}).
 *
 * <p>An id's ticket outlives its membership: {@link #add(int)} puts an id back at the ticket it had, which is how a
 * FIFO block returns to its original place after a hit and how a lineage parent keeps its tick while it has children.
 * {@link #setTicket} gives an id a new ticket while it is out of the heap.
 *
 * <p>Not thread-safe; callers check their ids: an id out of range is an {@link ArrayIndexOutOfBoundsException}.
 */
final class TicketHeap {

    /** What {@link #peek()} and {@link #poll()} return when the heap is empty. */
    static final int NONE = -1;

    private long[] tickets; // id -> its last ticket, kept while the id is out of the heap
    private int[] position; // id -> index in heap, NONE if absent
    private final int[] heap; // ids, a binary min-heap by ticket
    private int size;

    /**
     * Creates an empty heap for ids in {@code [0, capacity)}, at most {@code maxSize} of them at a time.
     *
     * @param capacity the id range; see {@link #grow}
     * @param maxSize the most ids in the heap at once, at most {@code capacity}
     */
    TicketHeap(int capacity, int maxSize) {
        if (maxSize < 0 || maxSize > capacity) {
            throw new IllegalArgumentException("maxSize must be in [0, " + capacity + "], got " + maxSize);
        }
        this.tickets = new long[capacity];
        this.position = new int[capacity];
        Arrays.fill(position, NONE);
        this.heap = new int[maxSize];
    }

    /** Returns the number of ids in the heap. */
    int size() {
        return size;
    }

    /** Returns whether {@code id} is in the heap. */
    boolean contains(int id) {
        return position[id] != NONE;
    }

    /** Returns the last ticket given to {@code id} (0 if none was), whether or not it is in the heap. */
    long ticket(int id) {
        return tickets[id];
    }

    /**
     * Gives {@code id}, which must not be in the heap, the ticket it will have when next {@linkplain #add(int) added}.
     *
     * @throws IllegalStateException if {@code id} is in the heap (its position would be stale)
     */
    void setTicket(int id, long ticket) {
        if (position[id] != NONE) {
            throw new IllegalStateException("id " + id + " is in the heap: remove it before changing its ticket");
        }
        tickets[id] = ticket;
    }

    /**
     * Adds {@code id} with {@code ticket}.
     *
     * @throws IllegalStateException if {@code id} is already in the heap
     */
    void add(int id, long ticket) {
        setTicket(id, ticket);
        add(id);
    }

    /**
     * Adds {@code id} with the ticket it last had.
     *
     * @throws IllegalStateException if {@code id} is already in the heap
     */
    void add(int id) {
        if (position[id] != NONE) {
            throw new IllegalStateException("id " + id + " is already in the heap");
        }
        heap[size] = id;
        position[id] = size;
        siftUp(size++);
    }

    /**
     * Removes {@code id} if it is in the heap; its ticket is kept.
     *
     * @return whether it was in the heap
     */
    boolean remove(int id) {
        int i = position[id];
        if (i == NONE) {
            return false;
        }
        position[id] = NONE;
        int last = heap[--size];
        if (i != size) {
            heap[i] = last;
            position[last] = i;
            siftDown(i);
            siftUp(position[last]);
        }
        return true;
    }

    /** Returns an id with the smallest ticket without removing it, or {@link #NONE} if the heap is empty. */
    int peek() {
        return size == 0 ? NONE : heap[0];
    }

    /** Removes and returns an id with the smallest ticket, or {@link #NONE} if the heap is empty. */
    int poll() {
        int id = peek();
        if (id != NONE) {
            remove(id);
        }
        return id;
    }

    /** Widens the id range to {@code [0, capacity)}, keeping every id's ticket and position. */
    void grow(int capacity) {
        int old = position.length;
        if (capacity <= old) {
            return;
        }
        tickets = Arrays.copyOf(tickets, capacity);
        position = Arrays.copyOf(position, capacity);
        Arrays.fill(position, old, capacity, NONE);
    }

    /**
     * Throws if a position is stale, an id is listed twice, or a parent's ticket is above its child's. O(capacity);
     * for tests.
     *
     * @throws IllegalStateException naming the first broken invariant
     */
    void checkInvariants() {
        int members = 0;
        for (int p : position) {
            if (p != NONE) {
                members++;
            }
        }
        if (members != size) {
            throw new IllegalStateException(members + " ids have a position but the heap holds " + size);
        }
        for (int i = 0; i < size; i++) {
            int id = heap[i];
            if (position[id] != i) {
                throw new IllegalStateException("id " + id + " has a stale heap position");
            }
            if (i > 0 && tickets[heap[(i - 1) >>> 1]] > tickets[id]) {
                throw new IllegalStateException("id " + id + " breaks the heap order");
            }
        }
    }

    @Override
    public String toString() {
        return "TicketHeap[size=" + size + "]";
    }

    private void siftUp(int i) {
        int id = heap[i];
        long t = tickets[id];
        while (i > 0) {
            int up = (i - 1) >>> 1;
            int p = heap[up];
            if (tickets[p] <= t) {
                break;
            }
            heap[i] = p;
            position[p] = i;
            i = up;
        }
        heap[i] = id;
        position[id] = i;
    }

    private void siftDown(int i) {
        int id = heap[i];
        long t = tickets[id];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int c = heap[child];
            int right = child + 1;
            if (right < size && tickets[heap[right]] < tickets[c]) {
                child = right;
                c = heap[child];
            }
            if (t <= tickets[c]) {
                break;
            }
            heap[i] = c;
            position[c] = i;
            i = child;
        }
        heap[i] = id;
        position[id] = i;
    }
}
