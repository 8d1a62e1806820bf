package io.kvbm.manager;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import java.util.Collection;
import java.util.Map;
import reactor.core.publisher.Hooks;

/**
 * Reactor hooks that keep blocks from being lost by operators downstream of the manager.
 *
 * <p>Some Reactor operators drop a value that arrives after they were cancelled or timed out, passing it to
 * {@link Hooks#onNextDropped} instead of to anyone who could close it; {@code Mono.timeout} is the usual culprit: a block
 * the manager delivers in the very instant the timer fires is committed to the subscriber and then thrown away. The
 * manager cannot see that happen. Prefer {@link BlockManager#allocate(int, java.time.Duration)}, whose timeout is
 * decided inside the manager; where operator timeouts are unavoidable, install {@link #closeDroppedBlocks()} once at
 * start-up.
 */
public final class ReactorHooks {

    private ReactorHooks() {}

    /**
     * Installs a global {@link Hooks#onNextDropped} consumer that closes every dropped guard: a {@link MutableBlock},
     * {@link CompleteBlock} or {@link ImmutableBlock}, an {@link Allocation}, or a collection or map of them (as
     * emitted by {@code allocate(n)}, {@code registerAll} and {@code scan}). Other dropped values are left to the
     * hooks installed before it, which Reactor composes with this one.
     *
     * <p>Global and permanent until {@link Hooks#resetOnNextDropped()}; calling it twice installs it twice, which is
     * harmless because closing a guard is idempotent. Non-blocking: it runs on the thread that dropped the value.
     */
    public static void closeDroppedBlocks() {
        Hooks.onNextDropped(ReactorHooks::closeIfBlocks);
    }

    /** Closes {@code value} if it is, or contains, block guards; returns the number of guards closed. */
    static int closeIfBlocks(Object value) {
        if (value instanceof MutableBlock) {
            ((MutableBlock) value).close();
            return 1;
        }
        if (value instanceof CompleteBlock) {
            ((CompleteBlock) value).close();
            return 1;
        }
        if (value instanceof ImmutableBlock) {
            ((ImmutableBlock) value).close();
            return 1;
        }
        if (value instanceof Allocation) {
            return closeIfBlocks(((Allocation) value).blocks());
        }
        int closed = 0;
        if (value instanceof Collection) {
            for (Object element : (Collection<?>) value) {
                closed += closeIfBlocks(element);
            }
        } else if (value instanceof Map) {
            for (Object element : ((Map<?, ?>) value).values()) {
                closed += closeIfBlocks(element);
            }
        }
        return closed;
    }
}
