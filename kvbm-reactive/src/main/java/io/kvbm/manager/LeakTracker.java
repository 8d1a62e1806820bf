package io.kvbm.manager;

import java.lang.ref.Cleaner;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Returns the slot of a tracked guard that was garbage collected without being closed or consumed.
 *
 * <p>This object is the {@link Cleaner} action of one guard, so it must not reference the guard (that would keep it
 * reachable forever); it holds what the release needs instead: the loop, the block id and, for handles, the shared
 * entry. Closing or consuming the guard {@linkplain #disarm() disarms} it. The action runs on the cleaner's thread and
 * only enqueues a release on the manager's drain loop, so it never blocks and never touches the store directly.
 */
final class LeakTracker implements Runnable {

    static final int MUTABLE = 0;
    static final int COMPLETE = 1;
    static final int IMMUTABLE = 2;

    private static final Cleaner CLEANER = Cleaner.create(new ThreadFactory() {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "kvbm-leak-detector-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    });

    private final DrainLoop loop;
    private final int kind;
    private final int blockId;
    private final @Nullable ActiveEntry entry;
    private final Throwable acquiredAt;
    private volatile boolean disarmed;
    private Cleaner.@Nullable Cleanable cleanable;

    private LeakTracker(DrainLoop loop, int kind, int blockId, @Nullable ActiveEntry entry, Throwable acquiredAt) {
        this.loop = loop;
        this.kind = kind;
        this.blockId = blockId;
        this.entry = entry;
        this.acquiredAt = acquiredAt;
    }

    /** Records the current stack, for the guard(s) being acquired: about a microsecond, so only for tracked ones. */
    static Throwable acquiredHere() {
        return new AcquiredAt();
    }

    /** Starts tracking {@code guard}; the returned tracker MUST be disarmed when the guard closes or is consumed. */
    static LeakTracker track(Object guard, DrainLoop loop, int kind, int blockId, @Nullable ActiveEntry entry) {
        return track(guard, loop, kind, blockId, entry, acquiredHere());
    }

    /** {@link #track(Object, DrainLoop, int, int, ActiveEntry)} with a stack shared by the guards of one batch. */
    static LeakTracker track(
            Object guard, DrainLoop loop, int kind, int blockId, @Nullable ActiveEntry entry, Throwable acquiredAt) {
        LeakTracker tracker = new LeakTracker(loop, kind, blockId, entry, acquiredAt);
        tracker.cleanable = CLEANER.register(guard, tracker);
        return tracker;
    }

    /** Stops tracking: the guard was released properly. */
    void disarm() {
        disarmed = true;
        Cleaner.Cleanable c = cleanable;
        if (c != null) {
            c.clean(); // deregisters; run() sees disarmed and does nothing
        }
    }

    /** The acquiring stack of one guard, or of all the guards of one batch; the warning names the block. */
    private static final class AcquiredAt extends Throwable {
        private static final long serialVersionUID = 1L;

        AcquiredAt() {
            super("the guard was acquired here");
        }
    }

    @Override
    public void run() {
        if (disarmed) {
            return;
        }
        loop.onLeak(kind, blockId, entry, acquiredAt);
    }
}
