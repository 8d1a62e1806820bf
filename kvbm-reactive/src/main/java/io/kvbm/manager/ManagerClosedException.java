package io.kvbm.manager;

/**
 * Signalled to operations on a {@link BlockManager} that was closed, including allocations that were still waiting
 * when it closed.
 */
public final class ManagerClosedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final long managerId;

    ManagerClosedException(long managerId, String operation) {
        super("block manager " + managerId + " is closed; " + operation + " refused");
        this.managerId = managerId;
    }

    /**
     * Returns the id of the closed manager.
     *
     * @return the manager id
     */
    public long managerId() {
        return managerId;
    }
}
