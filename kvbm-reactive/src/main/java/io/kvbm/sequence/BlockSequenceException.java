package io.kvbm.sequence;

import java.util.Objects;

/**
 * Thrown when a {@link BlockSequence} or an {@link ExternalBlockAssignments} refuses input that breaks one of its
 * rules (kvbm's {@code BlockSequenceError}).
 *
 * <p>The failed call changed nothing. The {@link #kind()} says which rule was broken; each kind carries the offending
 * values, read through the accessors listed on the kind. An accessor that the kind does not carry throws
 * {@link IllegalStateException}.
 */
public final class BlockSequenceException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The rule that was broken. */
    public enum Kind {
        /**
         * {@link ExternalBlockAssignments#extendBlockIds} found an id it already holds after an id it does not: known
         * ids must form a prefix of the list. Carries {@link #knownId()}, {@link #newId()}, {@link #knownIndex()} and
         * {@link #firstNewIndex()}.
         */
        ORDERING_VIOLATION,
        /**
         * {@link ExternalBlockAssignments#stagePending} found a token block whose sequence hash position differs from
         * the position it would be staged at. Carries {@link #expected()}, {@link #actual()} and {@link #blockId()}
         * (the block it would have been staged into).
         */
        POSITION_MISMATCH,
        /**
         * A block id is already held (unassigned, staged or assigned) or appears twice in the input. Carries
         * {@link #blockId()}.
         */
        DUPLICATE_BLOCK_ID,
        /**
         * The token sequence refused the tokens (it would pass its token or block limit). The cause is the
         * {@link IllegalArgumentException} of {@link io.kvbm.tokens.TokenBlockSequence}; no field.
         */
        TOKEN_EXTENSION
    }

    private final Kind kind;
    private final int blockId;
    private final int knownId;
    private final int newId;
    private final int knownIndex;
    private final int firstNewIndex;
    private final int expected;
    private final int actual;

    private BlockSequenceException(
            Kind kind,
            String message,
            int blockId,
            int knownId,
            int newId,
            int knownIndex,
            int firstNewIndex,
            int expected,
            int actual) {
        super(message);
        this.kind = kind;
        this.blockId = blockId;
        this.knownId = knownId;
        this.newId = newId;
        this.knownIndex = knownIndex;
        this.firstNewIndex = firstNewIndex;
        this.expected = expected;
        this.actual = actual;
    }

    /**
     * Creates an {@link Kind#ORDERING_VIOLATION}.
     *
     * @param knownId the id already held that came after a new one
     * @param newId the first id of the list that is not held
     * @param knownIndex the index of {@code knownId} in the list
     * @param firstNewIndex the index of {@code newId} in the list
     * @return the exception
     */
    public static BlockSequenceException orderingViolation(int knownId, int newId, int knownIndex, int firstNewIndex) {
        return new BlockSequenceException(
                Kind.ORDERING_VIOLATION,
                "block id " + knownId + " at index " + knownIndex + " is already held but comes after the new block id "
                        + newId + " at index " + firstNewIndex + ": known ids must form a prefix of the list",
                -1,
                knownId,
                newId,
                knownIndex,
                firstNewIndex,
                -1,
                -1);
    }

    /**
     * Creates a {@link Kind#POSITION_MISMATCH}.
     *
     * @param expected the sequence position the block would be staged at
     * @param actual the position of the token block's sequence hash
     * @param blockId the block it would have been staged into
     * @return the exception
     */
    public static BlockSequenceException positionMismatch(int expected, int actual, int blockId) {
        return new BlockSequenceException(
                Kind.POSITION_MISMATCH,
                "block " + blockId + " would be staged at position " + expected + ", but the token block there has a "
                        + "sequence hash of position " + actual + ": pass the whole sequence's blocks, from position 0",
                blockId,
                -1,
                -1,
                -1,
                -1,
                expected,
                actual);
    }

    /**
     * Creates a {@link Kind#DUPLICATE_BLOCK_ID}.
     *
     * @param blockId the id that is already held or repeated
     * @return the exception
     */
    public static BlockSequenceException duplicateBlockId(int blockId) {
        return new BlockSequenceException(
                Kind.DUPLICATE_BLOCK_ID,
                "block id " + blockId + " is already held or appears twice in the input: each id may be held once",
                blockId,
                -1,
                -1,
                -1,
                -1,
                -1,
                -1);
    }

    /**
     * Creates a {@link Kind#TOKEN_EXTENSION}.
     *
     * @param cause what the token sequence threw
     * @return the exception
     */
    public static BlockSequenceException tokenExtension(IllegalArgumentException cause) {
        Objects.requireNonNull(cause, "cause");
        BlockSequenceException e = new BlockSequenceException(
                Kind.TOKEN_EXTENSION, "the tokens were refused: " + cause.getMessage(), -1, -1, -1, -1, -1, -1, -1);
        e.initCause(cause);
        return e;
    }

    /**
     * Returns the rule that was broken.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Returns the offending block id.
     *
     * @return the id
     * @throws IllegalStateException unless the kind is {@link Kind#POSITION_MISMATCH} or {@link Kind#DUPLICATE_BLOCK_ID}
     */
    public int blockId() {
        require("blockId", Kind.POSITION_MISMATCH, Kind.DUPLICATE_BLOCK_ID);
        return blockId;
    }

    /**
     * Returns the already-held id that came after a new one.
     *
     * @return the id
     * @throws IllegalStateException unless the kind is {@link Kind#ORDERING_VIOLATION}
     */
    public int knownId() {
        require("knownId", Kind.ORDERING_VIOLATION, Kind.ORDERING_VIOLATION);
        return knownId;
    }

    /**
     * Returns the first id of the list that was not held.
     *
     * @return the id
     * @throws IllegalStateException unless the kind is {@link Kind#ORDERING_VIOLATION}
     */
    public int newId() {
        require("newId", Kind.ORDERING_VIOLATION, Kind.ORDERING_VIOLATION);
        return newId;
    }

    /**
     * Returns the index of {@link #knownId()} in the list.
     *
     * @return the index
     * @throws IllegalStateException unless the kind is {@link Kind#ORDERING_VIOLATION}
     */
    public int knownIndex() {
        require("knownIndex", Kind.ORDERING_VIOLATION, Kind.ORDERING_VIOLATION);
        return knownIndex;
    }

    /**
     * Returns the index of {@link #newId()} in the list.
     *
     * @return the index
     * @throws IllegalStateException unless the kind is {@link Kind#ORDERING_VIOLATION}
     */
    public int firstNewIndex() {
        require("firstNewIndex", Kind.ORDERING_VIOLATION, Kind.ORDERING_VIOLATION);
        return firstNewIndex;
    }

    /**
     * Returns the position the block would have been staged at.
     *
     * @return the expected position
     * @throws IllegalStateException unless the kind is {@link Kind#POSITION_MISMATCH}
     */
    public int expected() {
        require("expected", Kind.POSITION_MISMATCH, Kind.POSITION_MISMATCH);
        return expected;
    }

    /**
     * Returns the position of the token block's sequence hash.
     *
     * @return the actual position
     * @throws IllegalStateException unless the kind is {@link Kind#POSITION_MISMATCH}
     */
    public int actual() {
        require("actual", Kind.POSITION_MISMATCH, Kind.POSITION_MISMATCH);
        return actual;
    }

    private void require(String field, Kind a, Kind b) {
        if (kind != a && kind != b) {
            throw new IllegalStateException(field + " is not carried by a " + kind + " error");
        }
    }
}
