package io.kvbm.sequence;

import io.kvbm.sequence.AssignmentStore.Entry;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Which block ids of one tier hold which blocks of a token sequence: block ids paired with {@link SequenceHash}es,
 * without owning any block (kvbm's {@code ExternalBlockAssignments}).
 *
 * <p>An id goes through three phases, each kept in order:
 *
 * <pre>
 *   extendBlockIds            stagePending                 commitStaged
 *  ───────────────► unassigned ────────────► staged ───────────────────► assigned
 *   (id, no hash yet)          (id + hash, not committed)    (id + hash)
 *                   extendAssigned (cache hits whose hashes are known) ──► assigned
 * </pre>
 *
 * <p><b>Offset.</b> Assigned index 0 sits at sequence position {@link #offset()}, so several instances can track the
 * same token sequence at different offsets, one per tier: a host tier (G2) that holds positions 2..5 while the device
 * tier (G1) holds 0..2, for example. {@link #zipAssigned} and {@link #zipAssignedPending} turn two such instances into
 * a transfer plan. Every position in this API is absolute (a position in the token sequence); every index is
 * relative to its phase.
 *
 * <p><b>Validate, then commit.</b> Each mutation checks its whole input first and throws
 * {@link BlockSequenceException} before changing anything, so a failed call leaves the assignments exactly as they
 * were. (kvbm's {@code stage_pending} leaves the blocks it staged before a position mismatch staged; here the call is
 * all-or-nothing.)
 *
 * <p><b>Not thread-safe</b>: owned by one request, driven by one thread at a time. Block ids are non-negative ints,
 * the same ids as {@link io.kvbm.block.MutableBlock#blockId()} of a manager.
 */
public final class ExternalBlockAssignments {

    private static final Object UNIT = Boolean.TRUE;

    private final int offset;
    private final AssignmentStore<Object, SequenceHash, SequenceHash> store = new AssignmentStore<>();

    /** Creates empty assignments whose assigned index 0 is sequence position 0. */
    public ExternalBlockAssignments() {
        this(0);
    }

    /**
     * Creates empty assignments whose assigned index 0 is sequence position {@code offset}.
     *
     * @param offset the absolute position of the first block, in {@code [0, SequenceHash.MAX_POSITION + 1]}
     * @throws IllegalArgumentException if {@code offset} is out of range
     */
    public ExternalBlockAssignments(int offset) {
        if (offset < 0 || offset > SequenceHash.MAX_POSITION + 1) {
            throw new IllegalArgumentException(
                    "offset must be in [0, " + (SequenceHash.MAX_POSITION + 1) + "], got " + offset);
        }
        this.offset = offset;
    }

    // ---------------------------------------------------------------------------------------------------------
    // queries

    /**
     * Returns the sequence position of assigned index 0; constant, kept by {@link #clear()}.
     *
     * @return the offset
     */
    public int offset() {
        return offset;
    }

    /**
     * Returns whether {@code blockId} is held in any phase.
     *
     * @param blockId any id
     * @return whether it is unassigned, staged or assigned here
     */
    public boolean contains(int blockId) {
        return store.contains(blockId);
    }

    /**
     * Returns whether no id is held in any phase.
     *
     * @return whether all three phases are empty
     */
    public boolean isEmpty() {
        return store.isEmpty();
    }

    /**
     * Returns the number of assigned blocks.
     *
     * @return the count
     */
    public int assignedCount() {
        return store.assigned.size();
    }

    /**
     * Returns the number of staged blocks.
     *
     * @return the count
     */
    public int stagedCount() {
        return store.staged.size();
    }

    /**
     * Returns the number of unassigned ids.
     *
     * @return the count
     */
    public int unassignedCount() {
        return store.unassigned.size();
    }

    /**
     * Returns the assigned block at {@code index} (sequence position {@code offset() + index}).
     *
     * @param index the assigned index
     * @return the id and hash, or empty if {@code index} is not in {@code [0, assignedCount())}
     */
    public Optional<BlockAssignment> getAssigned(int index) {
        return index < 0 || index >= store.assigned.size()
                ? Optional.empty()
                : Optional.of(toAssignment(store.assigned.get(index)));
    }

    /**
     * Returns the staged block at {@code index} of the staged phase.
     *
     * @param index the staged index
     * @return the id and hash, or empty if {@code index} is not in {@code [0, stagedCount())}
     */
    public Optional<BlockAssignment> getStaged(int index) {
        return index < 0 || index >= store.staged.size()
                ? Optional.empty()
                : Optional.of(toAssignment(store.staged.get(index)));
    }

    /**
     * Returns the assigned blocks in order.
     *
     * @return an unmodifiable snapshot
     */
    public List<BlockAssignment> assigned() {
        return toAssignments(store.assigned.entries());
    }

    /**
     * Returns the staged blocks in order.
     *
     * @return an unmodifiable snapshot
     */
    public List<BlockAssignment> staged() {
        return toAssignments(store.staged.entries());
    }

    /**
     * Returns the unassigned ids in the order they will be staged (FIFO).
     *
     * @return an unmodifiable snapshot
     */
    public List<Integer> unassigned() {
        List<Integer> ids = new ArrayList<>(store.unassigned.size());
        store.unassigned.addIdsTo(ids);
        return Collections.unmodifiableList(ids);
    }

    /**
     * Returns the position the next staged block will take.
     *
     * @return {@code offset() + assignedCount() + stagedCount()}
     */
    public int nextPosition() {
        return offset + store.assigned.size() + store.staged.size();
    }

    /**
     * Returns the positions of the assigned blocks.
     *
     * @return {@code [offset, offset + assignedCount)}
     */
    public IndexRange assignedPositions() {
        return IndexRange.of(offset, offset + store.assigned.size());
    }

    /**
     * Returns the positions of the staged blocks.
     *
     * @return {@code [offset + assignedCount, nextPosition)}
     */
    public IndexRange stagedPositions() {
        return IndexRange.of(offset + store.assigned.size(), nextPosition());
    }

    /**
     * Returns the positions the unassigned ids will take, in FIFO order, once their blocks complete.
     *
     * @return {@code [nextPosition, nextPosition + unassignedCount)}
     */
    public IndexRange pendingPositions() {
        int next = nextPosition();
        return IndexRange.of(next, next + store.unassigned.size());
    }

    /**
     * Returns the assigned block at absolute sequence position {@code position}.
     *
     * @param position an absolute position
     * @return the id and hash, or empty outside {@link #assignedPositions()} (before the offset included)
     */
    public Optional<BlockAssignment> getAtPosition(int position) {
        return assignedPositions().contains(position) ? getAssigned(position - offset) : Optional.empty();
    }

    /**
     * Returns the unassigned id that will hold absolute position {@code position}: the first unassigned id maps to
     * {@link #nextPosition()}, the second to the one after, and so on.
     *
     * @param position an absolute position
     * @return the id, or empty outside {@link #pendingPositions()}
     */
    public OptionalInt getPendingAtPosition(int position) {
        IndexRange pending = pendingPositions();
        return pending.contains(position)
                ? OptionalInt.of(
                        store.unassigned.get(position - pending.start()).id())
                : OptionalInt.empty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // mutations

    /**
     * Adds the ids of a tier's allocation list that are not held yet, as unassigned ids in list order.
     *
     * <p>{@code blockIds} is the whole ordered allocation list of the request on this tier, which the caller may send
     * again each time it grows: ids already held (in any phase) must form a prefix of the list and are skipped;
     * the ids after them are new. Sending exactly the held ids again does nothing.
     *
     * @param blockIds the full allocation list, in order
     * @return the number of new ids added
     * @throws NullPointerException if the list or an element is null
     * @throws IllegalArgumentException if an id is negative
     * @throws BlockSequenceException of kind {@link BlockSequenceException.Kind#ORDERING_VIOLATION} if a held id
     *     comes after a new one, or {@link BlockSequenceException.Kind#DUPLICATE_BLOCK_ID} if a new id appears twice;
     *     nothing is added then
     */
    public int extendBlockIds(List<Integer> blockIds) {
        Objects.requireNonNull(blockIds, "blockIds");
        int firstNew = -1;
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < blockIds.size(); i++) {
            int id = requireId(blockIds.get(i), i);
            if (store.contains(id)) {
                if (firstNew >= 0) {
                    throw BlockSequenceException.orderingViolation(id, blockIds.get(firstNew), i, firstNew);
                }
            } else {
                if (firstNew < 0) {
                    firstNew = i;
                }
                if (!seen.add(id)) {
                    throw BlockSequenceException.duplicateBlockId(id);
                }
            }
        }
        if (firstNew < 0) {
            return 0;
        }
        for (int i = firstNew; i < blockIds.size(); i++) {
            store.addUnassigned(blockIds.get(i), UNIT);
        }
        return blockIds.size() - firstNew;
    }

    /**
     * Appends blocks straight to the assigned phase, typically cache hits whose hashes are already known.
     *
     * <p>Positions and hashes are not checked: the caller states that the blocks follow the assigned ones in order.
     *
     * @param blocks the blocks, in position order
     * @return the number added, 0 for an empty list
     * @throws NullPointerException if the list or an element is null
     * @throws BlockSequenceException of kind {@link BlockSequenceException.Kind#DUPLICATE_BLOCK_ID} if an id is held
     *     already or appears twice in {@code blocks}; nothing is added then
     */
    public int extendAssigned(List<BlockAssignment> blocks) {
        Objects.requireNonNull(blocks, "blocks");
        List<Integer> ids = new ArrayList<>(blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            ids.add(Objects.requireNonNull(blocks.get(i), "blocks[" + i + "]").blockId());
        }
        OptionalInt duplicate = store.firstDuplicate(ids);
        if (duplicate.isPresent()) {
            throw BlockSequenceException.duplicateBlockId(duplicate.getAsInt());
        }
        for (BlockAssignment block : blocks) {
            store.addAssigned(block.blockId(), block.sequenceHash());
        }
        return blocks.size();
    }

    /**
     * Stages unassigned ids, oldest first, against the complete blocks of the sequence that follow the staged ones.
     *
     * <p>{@code sequenceBlocks} is the whole sequence's list of complete blocks, indexed by absolute position (for
     * example {@link BlockSequence#blocks()}). The {@code i}-th unassigned id is paired with
     * {@code sequenceBlocks.get(nextPosition() + i)}, for as many ids as there are such blocks. Ids without a complete
     * block yet stay unassigned; a list shorter than {@link #nextPosition()} stages nothing.
     *
     * @param sequenceBlocks the sequence's complete blocks from position 0
     * @return the indices of the newly staged blocks within the staged phase as it was before the call (after a
     *     {@link #commitStaged()} it starts at 0 again)
     * @throws NullPointerException if the list or a block that would be staged is null
     * @throws BlockSequenceException of kind {@link BlockSequenceException.Kind#POSITION_MISMATCH} if a block's hash
     *     position differs from the position it would be staged at; nothing is staged then
     */
    public IndexRange stagePending(List<TokenBlock> sequenceBlocks) {
        Objects.requireNonNull(sequenceBlocks, "sequenceBlocks");
        int next = nextPosition();
        int count = Math.min(Math.max(0, sequenceBlocks.size() - next), store.unassigned.size());
        for (int i = 0; i < count; i++) {
            TokenBlock block =
                    Objects.requireNonNull(sequenceBlocks.get(next + i), "sequenceBlocks[" + (next + i) + "]");
            int actual = block.sequenceHash().position();
            if (actual != next + i) {
                throw BlockSequenceException.positionMismatch(
                        next + i, actual, store.unassigned.get(i).id());
            }
        }
        int before = store.staged.size();
        for (int i = 0; i < count; i++) {
            int id = store.shiftUnassigned().id();
            store.addStaged(id, sequenceBlocks.get(next + i).sequenceHash());
        }
        return IndexRange.of(before, before + count);
    }

    /**
     * Moves every staged block to the assigned phase, in order. Never fails.
     *
     * @return the assigned indices of the moved blocks, {@code [assignedBefore, assignedAfter)}
     */
    public IndexRange commitStaged() {
        int before = store.assigned.size();
        while (!store.staged.isEmpty()) {
            Entry<SequenceHash> entry = store.shiftStaged();
            store.addAssigned(entry.id(), entry.value());
        }
        return IndexRange.of(before, store.assigned.size());
    }

    /**
     * Stages what can be staged and commits every staged block: {@link #stagePending} then {@link #commitStaged}.
     *
     * @param sequenceBlocks the sequence's complete blocks from position 0
     * @return the assigned indices added by the call; empty ({@code [n, n)}) when nothing was new
     * @throws NullPointerException if the list or a block that would be staged is null
     * @throws BlockSequenceException of kind {@link BlockSequenceException.Kind#POSITION_MISMATCH} as
     *     {@link #stagePending}; nothing changes then
     */
    public IndexRange assignPending(List<TokenBlock> sequenceBlocks) {
        stagePending(sequenceBlocks);
        return commitStaged();
    }

    /**
     * Removes and returns the staged blocks, in order; their ids are no longer held.
     *
     * @return the staged blocks
     */
    public List<BlockAssignment> takeStaged() {
        return toAssignments(store.takeStaged());
    }

    /** Forgets every id of every phase; the offset stays, so {@link #nextPosition()} returns to it. */
    public void clear() {
        store.clear();
    }

    // ---------------------------------------------------------------------------------------------------------
    // transfer plans

    /**
     * Pairs the assigned blocks of {@code source} and {@code destination} that hold the same absolute positions.
     *
     * <p>Example: {@code source} at offset 0 assigned {@code [10, 20, 30, 40]}, {@code destination} at offset 2
     * assigned {@code [110, 120, 130]}: the plan is {@code (2, 30, 110), (3, 40, 120)}.
     *
     * @param source the first assignments
     * @param destination the second assignments
     * @return one transfer per shared position, ascending; empty when either is empty or they do not overlap
     */
    public static List<BlockTransfer> zipAssigned(
            ExternalBlockAssignments source, ExternalBlockAssignments destination) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        IndexRange shared = source.assignedPositions().intersect(destination.assignedPositions());
        List<BlockTransfer> plan = new ArrayList<>(shared.size());
        for (int p = shared.start(); p < shared.end(); p++) {
            plan.add(new BlockTransfer(
                    p,
                    source.store.assigned.get(p - source.offset).id(),
                    destination.store.assigned.get(p - destination.offset).id()));
        }
        return Collections.unmodifiableList(plan);
    }

    /**
     * Pairs each assigned block of {@code source} with the unassigned id of {@code destination} that will hold the
     * same absolute position: the plan of an onboarding or offload copy.
     *
     * <p>Example (onboarding G2 → G1): G1 at offset 0 has assigned {@code [1000, 1001]} and unassigned
     * {@code [1002, 1003, 1004]} (pending positions 2..5); G2 at offset 2 has assigned {@code [2002, 2003, 2004]}.
     * The plan is {@code (2, 2002, 1002), (3, 2003, 1003), (4, 2004, 1004)}; once the data is copied, G1's
     * {@link #assignPending} assigns those ids and {@code zipAssigned(G2, G1)} gives the same triples.
     *
     * @param source the assignments whose assigned blocks hold the data
     * @param destination the assignments whose unassigned ids receive it
     * @return one transfer per shared position, ascending; empty when there is nothing to copy
     */
    public static List<BlockTransfer> zipAssignedPending(
            ExternalBlockAssignments source, ExternalBlockAssignments destination) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        IndexRange pending = destination.pendingPositions();
        IndexRange shared = source.assignedPositions().intersect(pending);
        List<BlockTransfer> plan = new ArrayList<>(shared.size());
        for (int p = shared.start(); p < shared.end(); p++) {
            plan.add(new BlockTransfer(
                    p,
                    source.store.assigned.get(p - source.offset).id(),
                    destination.store.unassigned.get(p - pending.start()).id()));
        }
        return Collections.unmodifiableList(plan);
    }

    /**
     * Returns the offset and the phase sizes.
     *
     * @return e.g. {@code "ExternalBlockAssignments[offset=2, assigned=3, staged=0, unassigned=1]"}
     */
    @Override
    public String toString() {
        return "ExternalBlockAssignments[offset=" + offset + ", assigned=" + assignedCount() + ", staged="
                + stagedCount() + ", unassigned=" + unassignedCount() + "]";
    }

    private static int requireId(Integer id, int index) {
        Objects.requireNonNull(id, () -> "blockIds[" + index + "]");
        if (id < 0) {
            throw new IllegalArgumentException("blockIds[" + index + "] must be >= 0, got " + id);
        }
        return id;
    }

    private static BlockAssignment toAssignment(Entry<SequenceHash> entry) {
        return new BlockAssignment(entry.id(), entry.value());
    }

    private static List<BlockAssignment> toAssignments(List<Entry<SequenceHash>> entries) {
        List<BlockAssignment> list = new ArrayList<>(entries.size());
        for (Entry<SequenceHash> entry : entries) {
            list.add(toAssignment(entry));
        }
        return Collections.unmodifiableList(list);
    }
}
