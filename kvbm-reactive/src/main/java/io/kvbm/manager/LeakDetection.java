package io.kvbm.manager;

/**
 * How closely a manager watches for guards that become unreachable without being closed.
 *
 * <p>A tracked guard that the garbage collector finds unreachable while still live is returned to its pool by a
 * {@link java.lang.ref.Cleaner}, counted in {@link BlockManagerStats#leakedBlocks()} and logged at {@code WARN} once,
 * with the stack of the call that acquired it. Leak detection is a safety net, not a release mechanism: the block
 * stays out of circulation until a garbage collection notices the guard. The levels follow Netty's
 * {@code ResourceLeakDetector}.
 */
public enum LeakDetection {
    /** Tracks no guard: a leaked block is lost until the manager is discarded. */
    DISABLED,
    /**
     * Tracks about one guard in 128, so the hot path stays cheap (registering with a {@code Cleaner} takes a monitor
     * and recording a stack takes about a microsecond). The choice is made once per acquisition: a call that hands out
     * one guard is tracked with probability 1/128, and a batch (a match, an allocation or registration of n, a scan)
     * has all its guards tracked, sharing the one acquiring stack, with probability 1/128. Leaks of untracked guards
     * are not recovered. The default.
     */
    SAMPLED,
    /** Tracks every guard. For tests and debugging: each acquisition records a stack trace (one per batch). */
    PARANOID
}
