package io.kvbm.eviction;

/**
 * The insert checks {@link TableIndex} and {@link LineageInactiveIndex} share, so that every built-in index rejects
 * the same block ids with the same messages ({@link InactiveIndex#insert} documents the exceptions).
 */
final class IndexChecks {

    private IndexChecks() {}

    /**
     * Checks that {@code blockId} is a block of a manager with {@code blockCount} blocks.
     *
     * @throws IllegalArgumentException if it is outside {@code [0, blockCount)}
     */
    static void checkBlockId(int blockId, int blockCount) {
        if (blockId < 0 || blockId >= blockCount) {
            throw new IllegalArgumentException("blockId must be in [0, " + blockCount + "), got " + blockId);
        }
    }

    /** Returns the exception for inserting a block that is already in the index. */
    static IllegalStateException alreadyPresent(int blockId) {
        return new IllegalStateException("block " + blockId + " is already in the inactive index");
    }
}
