package io.kvbm.request;

/**
 * What an applied decode or speculative step did to the sequence (kvbm's {@code DecodeOutcome}): whether its tokens
 * completed a block, and whether the sequence reached its output budget.
 */
public enum DecodeOutcome {
    /** No block completed and more tokens may be generated. */
    CONTINUE,
    /** A block completed (and was registered in the same apply); more tokens may be generated. */
    BLOCK_COMPLETED,
    /** The output budget is reached; no block completed. */
    MAX_LENGTH,
    /** A block completed and the output budget is reached. */
    BLOCK_COMPLETED_AND_MAX_LENGTH;

    /**
     * Returns the outcome for the two facts.
     *
     * @param blockCompleted whether the step's tokens completed at least one block
     * @param maxLength whether the sequence has generated its maximum number of tokens
     * @return the outcome
     */
    public static DecodeOutcome of(boolean blockCompleted, boolean maxLength) {
        if (blockCompleted) {
            return maxLength ? BLOCK_COMPLETED_AND_MAX_LENGTH : BLOCK_COMPLETED;
        }
        return maxLength ? MAX_LENGTH : CONTINUE;
    }

    /**
     * Returns whether the step completed a block.
     *
     * @return true for {@link #BLOCK_COMPLETED} and {@link #BLOCK_COMPLETED_AND_MAX_LENGTH}
     */
    public boolean blockCompleted() {
        return this == BLOCK_COMPLETED || this == BLOCK_COMPLETED_AND_MAX_LENGTH;
    }

    /**
     * Returns whether the sequence reached its output budget: generation is over.
     *
     * @return true for {@link #MAX_LENGTH} and {@link #BLOCK_COMPLETED_AND_MAX_LENGTH}
     */
    public boolean maxLength() {
        return this == MAX_LENGTH || this == BLOCK_COMPLETED_AND_MAX_LENGTH;
    }
}
