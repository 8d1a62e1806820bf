package io.kvbm.frequency;

import io.kvbm.tokens.SequenceHash;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * A {@link FrequencyTracker} over a {@link FrequencySketch} that many threads may touch without locking.
 *
 * <p>The sketch wants one writer at a time. In the common case there is one: the drain loop of the manager whose
 * lookups hit. So a touch first tries to take a writer flag with one CAS; if it wins it applies the touch (and any
 * buffered ones) directly and releases the flag. A touch that finds the flag taken (another manager's drain loop,
 * sharing the registry, is touching at the same instant) is parked in a small bounded ring, to be applied by the next
 * writer, or dropped if the ring is full. This is Caffeine's read-buffer compromise: under contention a few accesses
 * go uncounted rather than anyone waiting, which a frequency estimate can afford. Estimates read the sketch directly
 * and may miss touches still in the ring.
 *
 * <p>Keys are {@link FrequencySketch#spread(SequenceHash)} of the hash, already a full 64-bit mix, so the sketch's own
 * mixing round is skipped; {@link #touchAll} takes the writer flag once for a whole batch (a match's hits), still one
 * increment per hash.
 */
final class TinyLfuTracker implements FrequencyTracker {

    private static final int RING = 64; // power of two
    private static final int RING_MASK = RING - 1;

    private static final AtomicIntegerFieldUpdater<TinyLfuTracker> WRITER =
            AtomicIntegerFieldUpdater.newUpdater(TinyLfuTracker.class, "writer");
    private static final AtomicLongFieldUpdater<TinyLfuTracker> TAIL =
            AtomicLongFieldUpdater.newUpdater(TinyLfuTracker.class, "tail");
    private static final VarHandle KEYS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle READY = MethodHandles.arrayElementVarHandle(int[].class);

    private final FrequencySketch sketch;
    private final long[] keys = new long[RING];
    private final int[] ready = new int[RING];

    private volatile int writer;
    private volatile long tail; // next ring slot to write; producers CAS it
    private volatile long head; // next ring slot to apply; written by the flag holder only
    private volatile long dropped;

    TinyLfuTracker(long capacity) {
        this.sketch = new FrequencySketch(capacity);
    }

    @Override
    public void touch(SequenceHash hash) {
        long key = FrequencySketch.spread(hash);
        if (WRITER.compareAndSet(this, 0, 1)) {
            try {
                applyBuffered();
                sketch.incrementMixed(key);
            } finally {
                writer = 0;
            }
        } else {
            offer(key);
        }
    }

    /** One writer-flag CAS for the whole batch; a batch that finds the flag taken goes through the ring. */
    @Override
    public void touchAll(List<SequenceHash> hashes) {
        int n = hashes.size();
        if (WRITER.compareAndSet(this, 0, 1)) {
            try {
                applyBuffered();
                for (int i = 0; i < n; i++) {
                    sketch.incrementMixed(FrequencySketch.spread(hashes.get(i)));
                }
            } finally {
                writer = 0;
            }
        } else {
            for (int i = 0; i < n; i++) {
                offer(FrequencySketch.spread(hashes.get(i)));
            }
        }
    }

    @Override
    public int count(SequenceHash hash) {
        return sketch.frequencyOfMixed(FrequencySketch.spread(hash));
    }

    /** Buffers a touch as if another thread held the writer flag (tests). */
    void touchWhileWriterBusyForTest(SequenceHash hash) {
        offer(FrequencySketch.spread(hash));
    }

    /** Touches that found the ring full and were not counted. */
    long dropped() {
        return dropped;
    }

    FrequencySketch sketch() {
        return sketch;
    }

    private void offer(long key) {
        long t = tail;
        if (t - head >= RING || !TAIL.compareAndSet(this, t, t + 1)) {
            dropped++; // benign race: an approximate count of approximate counts
            return;
        }
        int slot = (int) t & RING_MASK;
        KEYS.setOpaque(keys, slot, key);
        READY.setRelease(ready, slot, 1);
    }

    private void applyBuffered() {
        long h = head;
        long t = tail;
        while (h < t) {
            int slot = (int) h & RING_MASK;
            if ((int) READY.getAcquire(ready, slot) == 0) {
                break; // reserved but not yet written: the next writer picks it up
            }
            sketch.incrementMixed((long) KEYS.getOpaque(keys, slot));
            READY.setOpaque(ready, slot, 0);
            h++;
        }
        head = h;
    }

    @Override
    public String toString() {
        return "TinyLfuTracker[tableLength=" + sketch.tableLength() + ", sampleSize=" + sketch.sampleSize() + "]";
    }
}
