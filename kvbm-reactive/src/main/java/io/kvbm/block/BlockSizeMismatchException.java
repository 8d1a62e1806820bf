package io.kvbm.block;

/**
 * Thrown when a block is staged with a size that differs from the block size of its manager.
 *
 * <p>The failed call does not consume the guard it was called on: the {@link MutableBlock} stays live and owned by the
 * caller, who may retry with the right size or close it. This is the Java form of kvbm's
 * {@code BlockError::BlockSizeMismatch}, which hands the block back to the caller.
 */
public final class BlockSizeMismatchException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final int expected;
    private final int actual;

    /**
     * Creates the exception.
     *
     * @param blockId the id of the block whose staging failed
     * @param expected the manager's block size, in tokens
     * @param actual the size that was offered, in tokens
     */
    public BlockSizeMismatchException(int blockId, int expected, int actual) {
        super("block " + blockId + " holds " + expected + " tokens, but was staged with " + actual
                + " (the size must equal the manager's blockSize)");
        this.expected = expected;
        this.actual = actual;
    }

    /**
     * Returns the block size of the manager the block belongs to.
     *
     * @return the expected size in tokens
     */
    public int expected() {
        return expected;
    }

    /**
     * Returns the size that was offered.
     *
     * @return the actual size in tokens
     */
    public int actual() {
        return actual;
    }
}
