package io.kvbm.manager;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Signalled to an allocation made with {@link BlockManager#allocate(int, Duration)} that waited longer than its
 * maximum wait.
 *
 * <p>Nothing was allocated. It extends {@link TimeoutException}, so {@code onErrorResume(TimeoutException.class, ...)}
 * handles it together with Reactor's own {@code timeout} errors (reactor-pool's {@code PoolAcquireTimeoutException}
 * does the same).
 */
public final class AllocationTimeoutException extends TimeoutException {

    private static final long serialVersionUID = 1L;

    private final transient Duration maxWait;

    AllocationTimeoutException(int requested, Duration maxWait) {
        super("allocation of " + requested + " block(s) waited more than " + maxWait + " (maxWait) and was abandoned");
        this.maxWait = maxWait;
    }

    /**
     * Returns the maximum wait that was exceeded.
     *
     * @return the maximum wait
     */
    public Duration maxWait() {
        return maxWait;
    }
}
