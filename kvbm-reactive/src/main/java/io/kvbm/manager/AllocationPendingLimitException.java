package io.kvbm.manager;

/**
 * Signalled to an allocation that would have to wait while {@link BlockManager.Builder#maxPendingAllocations(int)}
 * allocations are already waiting.
 *
 * <p>Nothing was allocated. The caller may retry later, shed the request, or raise the limit.
 */
public final class AllocationPendingLimitException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final int pendingLimit;

    AllocationPendingLimitException(int pendingLimit, int requested) {
        super("allocation of " + requested + " block(s) refused: " + pendingLimit
                + " allocation(s) are already waiting (maxPendingAllocations=" + pendingLimit + ")");
        this.pendingLimit = pendingLimit;
    }

    /**
     * Returns the configured limit that was reached.
     *
     * @return the maximum number of waiting allocations
     */
    public int getPendingLimit() {
        return pendingLimit;
    }
}
