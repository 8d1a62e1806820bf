package io.kvbm.sequence;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when {@link LogicalBlockAssignments} (or a request sequence built on it) refuses a batch of guards; the
 * exception hands every guard of the refused batch back (kvbm's {@code LogicalBlockAssignmentError}).
 *
 * <p><b>Ownership.</b> Nothing of the batch was taken: the guards returned by {@link #mutableBlocks()} or
 * {@link #immutableBlocks()} belong to whoever catches the exception, who MUST close them ({@link #closeBlocks()}
 * does that) or use them otherwise. Operations that signal this exception through a {@link reactor.core.publisher.Mono}
 * close the guards themselves before signalling, and say so.
 *
 * <p>An accessor that the {@link #kind()} does not carry throws {@link IllegalStateException}.
 */
public final class LogicalBlockAssignmentException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** Why the batch was refused. */
    public enum Kind {
        /**
         * A {@link MutableBlock}'s id is already held or appears twice in the batch. Carries {@link #blockId()} and
         * the batch in {@link #mutableBlocks()}.
         */
        DUPLICATE_BLOCK_ID,
        /**
         * An {@link ImmutableBlock}'s id is already held or appears twice in the batch. Carries {@link #blockId()} and
         * the batch in {@link #immutableBlocks()}.
         */
        DUPLICATE_ASSIGNED_BLOCK_ID,
        /**
         * A matched block's hash differs from the sequence's hash at its position. Carries {@link #position()},
         * {@link #expected()}, {@link #actual()} and the batch in {@link #immutableBlocks()}.
         */
        SEQUENCE_HASH_MISMATCH
    }

    private final Kind kind;
    private final int blockId;
    private final int position;
    private final transient @Nullable SequenceHash expected;
    private final transient @Nullable SequenceHash actual;
    private final transient List<MutableBlock> mutableBlocks;
    private final transient List<ImmutableBlock> immutableBlocks;

    private LogicalBlockAssignmentException(
            Kind kind,
            String message,
            int blockId,
            int position,
            @Nullable SequenceHash expected,
            @Nullable SequenceHash actual,
            List<MutableBlock> mutableBlocks,
            List<ImmutableBlock> immutableBlocks) {
        super(message);
        this.kind = kind;
        this.blockId = blockId;
        this.position = position;
        this.expected = expected;
        this.actual = actual;
        this.mutableBlocks = List.copyOf(mutableBlocks);
        this.immutableBlocks = List.copyOf(immutableBlocks);
    }

    /**
     * Creates a {@link Kind#DUPLICATE_BLOCK_ID} that hands {@code blocks} back.
     *
     * @param blockId the duplicate id
     * @param blocks every block of the refused batch
     * @return the exception
     */
    public static LogicalBlockAssignmentException duplicateBlockId(int blockId, List<MutableBlock> blocks) {
        return new LogicalBlockAssignmentException(
                Kind.DUPLICATE_BLOCK_ID,
                "block id " + blockId + " is already held or appears twice in the batch; the " + blocks.size()
                        + " block(s) of the batch are handed back",
                blockId,
                -1,
                null,
                null,
                blocks,
                List.of());
    }

    /**
     * Creates a {@link Kind#DUPLICATE_ASSIGNED_BLOCK_ID} that hands {@code blocks} back.
     *
     * @param blockId the duplicate id
     * @param blocks every block of the refused batch
     * @return the exception
     */
    public static LogicalBlockAssignmentException duplicateAssignedBlockId(int blockId, List<ImmutableBlock> blocks) {
        return new LogicalBlockAssignmentException(
                Kind.DUPLICATE_ASSIGNED_BLOCK_ID,
                "registered block id " + blockId + " is already held or appears twice in the batch; the "
                        + blocks.size() + " block(s) of the batch are handed back",
                blockId,
                -1,
                null,
                null,
                List.of(),
                blocks);
    }

    /**
     * Creates a {@link Kind#SEQUENCE_HASH_MISMATCH} that hands {@code blocks} back.
     *
     * @param position the position of the first block whose hash differs
     * @param expected the sequence's hash at that position
     * @param actual the block's hash
     * @param blocks every block of the refused batch
     * @return the exception
     */
    public static LogicalBlockAssignmentException sequenceHashMismatch(
            int position, SequenceHash expected, SequenceHash actual, List<ImmutableBlock> blocks) {
        return new LogicalBlockAssignmentException(
                Kind.SEQUENCE_HASH_MISMATCH,
                "the block at position " + position + " has hash " + actual + ", but the sequence expects " + expected
                        + "; the " + blocks.size() + " block(s) of the batch are handed back",
                -1,
                position,
                Objects.requireNonNull(expected, "expected"),
                Objects.requireNonNull(actual, "actual"),
                List.of(),
                blocks);
    }

    /**
     * Returns why the batch was refused.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Returns the duplicate block id.
     *
     * @return the id
     * @throws IllegalStateException for a {@link Kind#SEQUENCE_HASH_MISMATCH}
     */
    public int blockId() {
        if (kind == Kind.SEQUENCE_HASH_MISMATCH) {
            throw new IllegalStateException("blockId is not carried by a " + kind + " error");
        }
        return blockId;
    }

    /**
     * Returns the position of the first block whose hash differs.
     *
     * @return the position
     * @throws IllegalStateException unless the kind is {@link Kind#SEQUENCE_HASH_MISMATCH}
     */
    public int position() {
        requireMismatch("position");
        return position;
    }

    /**
     * Returns the sequence's hash at {@link #position()}.
     *
     * @return the expected hash
     * @throws IllegalStateException unless the kind is {@link Kind#SEQUENCE_HASH_MISMATCH}
     */
    public SequenceHash expected() {
        requireMismatch("expected");
        return Objects.requireNonNull(expected, "expected (lost in serialization)");
    }

    /**
     * Returns the hash of the block at {@link #position()}.
     *
     * @return the actual hash
     * @throws IllegalStateException unless the kind is {@link Kind#SEQUENCE_HASH_MISMATCH}
     */
    public SequenceHash actual() {
        requireMismatch("actual");
        return Objects.requireNonNull(actual, "actual (lost in serialization)");
    }

    /**
     * Returns the handed-back mutable blocks of a {@link Kind#DUPLICATE_BLOCK_ID}; the catcher owns them.
     *
     * @return the whole refused batch in input order, or an empty list for the other kinds
     */
    public List<MutableBlock> mutableBlocks() {
        return mutableBlocks;
    }

    /**
     * Returns the handed-back registered blocks of a {@link Kind#DUPLICATE_ASSIGNED_BLOCK_ID} or a
     * {@link Kind#SEQUENCE_HASH_MISMATCH}; the catcher owns them.
     *
     * @return the whole refused batch in input order, or an empty list for the other kind
     */
    public List<ImmutableBlock> immutableBlocks() {
        return immutableBlocks;
    }

    /**
     * Closes every handed-back guard. Idempotent, like each guard's {@code close()}; non-blocking.
     */
    public void closeBlocks() {
        mutableBlocks.forEach(MutableBlock::close);
        immutableBlocks.forEach(ImmutableBlock::close);
    }

    private void requireMismatch(String field) {
        if (kind != Kind.SEQUENCE_HASH_MISMATCH) {
            throw new IllegalStateException(field + " is not carried by a " + kind + " error");
        }
    }
}
