package io.kvbm.sequence;

import io.kvbm.tokens.SequenceHash;
import java.util.Objects;

/**
 * A block id paired with the {@link SequenceHash} of the block it holds: one staged or assigned entry of
 * {@link ExternalBlockAssignments} (kvbm's {@code (BlockId, SequenceHash)} tuple).
 *
 * <p>A value: it names a block, it does not own one.
 *
 * @param blockId the block id, at least 0
 * @param sequenceHash the hash of the block's content and prefix; its {@link SequenceHash#position() position} is the
 *     block's position in the sequence
 */
public record BlockAssignment(int blockId, SequenceHash sequenceHash) {

    /**
     * Validates the pair.
     *
     * @param blockId the block id
     * @param sequenceHash the hash of the block
     * @throws IllegalArgumentException if {@code blockId} is negative
     * @throws NullPointerException if {@code sequenceHash} is null
     */
    public BlockAssignment {
        if (blockId < 0) {
            throw new IllegalArgumentException("blockId must be >= 0, got " + blockId);
        }
        Objects.requireNonNull(sequenceHash, "sequenceHash");
    }

    /**
     * Returns the position of the block in its sequence.
     *
     * @return {@code sequenceHash().position()}
     */
    public int position() {
        return sequenceHash.position();
    }
}
