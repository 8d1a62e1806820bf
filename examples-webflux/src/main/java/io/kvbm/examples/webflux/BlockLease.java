package io.kvbm.examples.webflux;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The guards one request holds, released together when the request ends for any reason.
 *
 * <p>Every guard is handed to the lease the moment the request receives it, so that the cleanup of
 * {@code Mono.usingWhen} finds it whether the request completes, fails, or is cancelled halfway (a client that
 * disconnects). Guards that were consumed since (a {@link MutableBlock} staged, a {@link CompleteBlock} registered)
 * are closed too, which is a no-op for them. A guard handed over after {@link #release()} is closed at once: that is
 * the cancellation racing a delivery on another thread.
 *
 * <p>Thread-safe; the lock is held only to add to or swap the list, never while closing.
 */
final class BlockLease {

    private @Nullable ArrayList<Runnable> closers = new ArrayList<>();

    /**
     * Holds a block until {@link #release()}.
     *
     * @param block the block, owned by the lease from now on
     */
    void hold(MutableBlock block) {
        hold((Runnable) block::close);
    }

    /**
     * Holds a block until {@link #release()}.
     *
     * @param block the block, owned by the lease from now on
     */
    void hold(CompleteBlock block) {
        hold((Runnable) block::close);
    }

    /**
     * Holds a block until {@link #release()}.
     *
     * @param block the block, owned by the lease from now on
     */
    void hold(ImmutableBlock block) {
        hold((Runnable) block::close);
    }

    private void hold(Runnable closer) {
        synchronized (this) {
            if (closers != null) {
                closers.add(closer);
                return;
            }
        }
        closer.run(); // released already
    }

    /**
     * Closes every guard held, newest first; later calls do nothing.
     *
     * <p>Newest first, as vLLM frees a request's blocks: the tail of a sequence then enters the inactive pool before
     * its prefix, so a recency-ordered eviction policy drops tails before the prefixes other requests share.
     */
    void release() {
        @Nullable List<Runnable> held;
        synchronized (this) {
            held = closers;
            closers = null;
        }
        if (held != null) {
            for (int i = held.size() - 1; i >= 0; i--) {
                held.get(i).run();
            }
        }
    }
}
