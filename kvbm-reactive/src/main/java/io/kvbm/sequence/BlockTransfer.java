package io.kvbm.sequence;

/**
 * One step of a transfer plan between two tiers: copy the data of block {@code sourceBlockId} into block
 * {@code destinationBlockId}; both hold sequence position {@code position}.
 *
 * <p>Produced by {@link ExternalBlockAssignments#zipAssigned} and {@link ExternalBlockAssignments#zipAssignedPending}
 * (kvbm's {@code (position, a_id, b_id)} triples). A value: it names blocks, it does not own them.
 *
 * @param position the absolute position in the token sequence, at least 0
 * @param sourceBlockId the block id in the first (source) assignments
 * @param destinationBlockId the block id in the second (destination) assignments
 */
public record BlockTransfer(int position, int sourceBlockId, int destinationBlockId) {

    /**
     * Validates the triple.
     *
     * @param position the shared position
     * @param sourceBlockId the source block id
     * @param destinationBlockId the destination block id
     * @throws IllegalArgumentException if any component is negative
     */
    public BlockTransfer {
        if (position < 0 || sourceBlockId < 0 || destinationBlockId < 0) {
            throw new IllegalArgumentException("a BlockTransfer needs non-negative components, got position " + position
                    + ", source " + sourceBlockId + ", destination " + destinationBlockId);
        }
    }
}
