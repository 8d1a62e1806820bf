package io.kvbm.manager;

/**
 * The reset pool: a FIFO ring of block ids, oldest-freed first.
 *
 * <p>Allocation takes from the head and every release appends at the tail, so the block freed longest ago is reused
 * first (kvbm's reset pool order); {@link #pushFront(int)} exists only to undo an allocation. Capacity is the block
 * count, so it never grows.
 */
final class FreeList {

    private final int[] ring;
    private int head;
    private int size;

    FreeList(int capacity) {
        this.ring = new int[capacity];
    }

    int size() {
        return size;
    }

    int poll() {
        if (size == 0) {
            throw new IllegalStateException("reset pool is empty");
        }
        int id = ring[head];
        head = head + 1 == ring.length ? 0 : head + 1;
        size--;
        return id;
    }

    void push(int id) {
        if (size == ring.length) {
            throw new IllegalStateException("reset pool overflow: block " + id + " released twice?");
        }
        int tail = head + size;
        ring[tail >= ring.length ? tail - ring.length : tail] = id;
        size++;
    }

    void pushFront(int id) {
        if (size == ring.length) {
            throw new IllegalStateException("reset pool overflow: block " + id + " released twice?");
        }
        head = head == 0 ? ring.length - 1 : head - 1;
        ring[head] = id;
        size++;
    }

    /** Returns the i-th id from the head without removing it (audits and tests). */
    int peek(int i) {
        int at = head + i;
        return ring[at >= ring.length ? at - ring.length : at];
    }
}
