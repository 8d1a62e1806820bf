package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;

/**
 * The argument checks the built-in indices share, so that they reject the same inputs with the same messages
 * ({@link InactiveIndex#insert} documents the exceptions).
 */
final class IndexChecks {

    private IndexChecks() {}

    /**
     * Checks that {@code blockId} may be inserted into an index that records each present block's hash in
     * {@code hashByBlock} (null where absent).
     *
     * @throws IllegalArgumentException if the block id is outside {@code [0, hashByBlock.length)}
     * @throws IllegalStateException if the block is already present
     */
    static void checkInsert(SequenceHash[] hashByBlock, int blockId) {
        checkBlockId(blockId, hashByBlock.length);
        if (hashByBlock[blockId] != null) {
            throw alreadyPresent(blockId);
        }
    }

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

    /**
     * Returns whether the exact pair {@code (hash, blockId)} is present in an index that records each present block's
     * hash in {@code hashByBlock}; {@code false} for any block id out of range, as {@link InactiveIndex#take} wants.
     */
    static boolean holds(SequenceHash[] hashByBlock, SequenceHash hash, int blockId) {
        return blockId >= 0 && blockId < hashByBlock.length && hash.equals(hashByBlock[blockId]);
    }
}
