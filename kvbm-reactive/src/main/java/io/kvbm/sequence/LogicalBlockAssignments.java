package io.kvbm.sequence;

import io.kvbm.block.BlockSizeMismatchException;
import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.sequence.AssignmentStore.Entry;
import io.kvbm.tokens.TokenBlock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.ToIntFunction;
import reactor.core.publisher.Mono;

/**
 * The blocks of one request, held as guards and kept in the order of the request's token sequence (kvbm's
 * {@code LogicalBlockAssignments}).
 *
 * <p>The three phases mirror the block lifecycle:
 *
 * <pre>
 *   extendBlocks               stage(tokenBlocks)             register(manager)
 *  ─────────────► unassigned ────────────────────► staged ─────────────────────► assigned
 *   MutableBlock               CompleteBlock                  ImmutableBlock
 *                 extendAssigned (matched cache hits) ──────────────────────────► assigned
 * </pre>
 *
 * Assigned index 0 is position 0 of the request's sequence; there is no offset (see {@link ExternalBlockAssignments}
 * for that).
 *
 * <p><b>Ownership.</b> The assignments own every guard they hold and close them on {@link #clear()} (or
 * {@link #close()}): unassigned and staged blocks go back to the reset pool, assigned blocks release their handle (and
 * stay cached in the inactive pool when it was the last one). Guards read through the accessors still belong to the
 * assignments: the caller MUST NOT close or consume them. Guards removed by {@link #popLastUnassigned()} and the
 * {@code take*} methods belong to the caller, who MUST close them. A refused batch is handed back whole inside a
 * {@link LogicalBlockAssignmentException}, so no error path leaks a guard.
 *
 * <p><b>Not thread-safe</b>: owned by one request. {@link #register(BlockManager)} completes on the thread that ran
 * the registration in the manager's drain loop; do not use the assignments while it is in flight.
 */
public final class LogicalBlockAssignments implements AutoCloseable {

    private final AssignmentStore<MutableBlock, CompleteBlock, ImmutableBlock> store = new AssignmentStore<>();

    /** Creates empty assignments. */
    public LogicalBlockAssignments() {}

    // ---------------------------------------------------------------------------------------------------------
    // queries

    /**
     * Returns whether no block is held.
     *
     * @return whether all three phases are empty
     */
    public boolean isEmpty() {
        return store.isEmpty();
    }

    /**
     * Returns whether a block with id {@code blockId} is held in any phase.
     *
     * @param blockId any id
     * @return whether it is unassigned, staged or assigned here
     */
    public boolean contains(int blockId) {
        return store.contains(blockId);
    }

    /**
     * Returns the number of assigned (registered) blocks.
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
     * Returns the number of unassigned blocks.
     *
     * @return the count
     */
    public int unassignedCount() {
        return store.unassigned.size();
    }

    /**
     * Returns the assigned block at sequence position {@code index}; still owned by the assignments.
     *
     * @param index the assigned index
     * @return the handle, or empty if {@code index} is not in {@code [0, assignedCount())}
     */
    public Optional<ImmutableBlock> getAssigned(int index) {
        return get(store.assigned, index);
    }

    /**
     * Returns the staged block at {@code index} of the staged phase; still owned by the assignments.
     *
     * @param index the staged index
     * @return the guard, or empty if {@code index} is not in {@code [0, stagedCount())}
     */
    public Optional<CompleteBlock> getStaged(int index) {
        return get(store.staged, index);
    }

    /**
     * Returns the unassigned block at {@code index} of the unassigned phase; still owned by the assignments.
     *
     * @param index the unassigned index
     * @return the guard, or empty if {@code index} is not in {@code [0, unassignedCount())}
     */
    public Optional<MutableBlock> getUnassigned(int index) {
        return get(store.unassigned, index);
    }

    /**
     * Returns the assigned blocks in order; still owned by the assignments.
     *
     * @return an unmodifiable snapshot
     */
    public List<ImmutableBlock> assigned() {
        return store.assigned.values();
    }

    /**
     * Returns the staged blocks in order; still owned by the assignments.
     *
     * @return an unmodifiable snapshot
     */
    public List<CompleteBlock> staged() {
        return store.staged.values();
    }

    /**
     * Returns the unassigned blocks in the order they will be staged; still owned by the assignments.
     *
     * @return an unmodifiable snapshot
     */
    public List<MutableBlock> unassigned() {
        return store.unassigned.values();
    }

    /**
     * Returns every held block id: assigned, then staged, then unassigned, each in order. For a request on the
     * device tier these are its KV page indices.
     *
     * @return an unmodifiable list
     */
    public List<Integer> allBlockIds() {
        return Collections.unmodifiableList(store.allIds());
    }

    // ---------------------------------------------------------------------------------------------------------
    // mutations

    /**
     * Takes ownership of freshly allocated blocks and appends them to the unassigned phase, in order.
     *
     * @param blocks the blocks; on success the assignments own them
     * @return the number added
     * @throws NullPointerException if the list or an element is null; nothing is taken then
     * @throws LogicalBlockAssignmentException of kind {@link LogicalBlockAssignmentException.Kind#DUPLICATE_BLOCK_ID}
     *     if an id is held already or appears twice in {@code blocks}; nothing is taken and the exception hands every
     *     block of {@code blocks} back
     */
    public int extendBlocks(List<MutableBlock> blocks) {
        List<Integer> ids = ids(blocks, MutableBlock::blockId);
        OptionalInt duplicate = store.firstDuplicate(ids);
        if (duplicate.isPresent()) {
            throw LogicalBlockAssignmentException.duplicateBlockId(duplicate.getAsInt(), blocks);
        }
        for (MutableBlock block : blocks) {
            store.addUnassigned(block.blockId(), block);
        }
        return blocks.size();
    }

    /**
     * Takes ownership of registered blocks, typically the cache hits of a prefix match, and appends them to the
     * assigned phase in input order.
     *
     * @param blocks the handles, in position order; on success the assignments own them
     * @return the number added
     * @throws NullPointerException if the list or an element is null; nothing is taken then
     * @throws LogicalBlockAssignmentException of kind
     *     {@link LogicalBlockAssignmentException.Kind#DUPLICATE_ASSIGNED_BLOCK_ID} if an id is held already or appears
     *     twice in {@code blocks}; nothing is taken and the exception hands every handle of {@code blocks} back
     */
    public int extendAssigned(List<ImmutableBlock> blocks) {
        List<Integer> ids = ids(blocks, ImmutableBlock::blockId);
        OptionalInt duplicate = store.firstDuplicate(ids);
        if (duplicate.isPresent()) {
            throw LogicalBlockAssignmentException.duplicateAssignedBlockId(duplicate.getAsInt(), blocks);
        }
        for (ImmutableBlock block : blocks) {
            store.addAssigned(block.blockId(), block);
        }
        return blocks.size();
    }

    /**
     * Completes unassigned blocks, oldest first, with the given token blocks and moves them to the staged phase.
     *
     * <p>The list is <em>relative</em>: its element 0 pairs with the first unassigned block, element 1 with the second,
     * for {@code min(tokenBlocks.size(), unassignedCount())} blocks. Callers pass the complete blocks that follow the
     * assigned and staged ones ({@code sequence.blocks().subList(assigned + staged, complete)}). Positions are not
     * checked here.
     *
     * @param tokenBlocks the token blocks to complete the unassigned blocks with, in order
     * @return the number of blocks staged; 0 when either side is empty
     * @throws NullPointerException if the list or an element that would be used is null; nothing is staged then
     * @throws BlockSizeMismatchException if a token block's size differs from its block's size; nothing is staged
     *     then and every block stays unassigned (kvbm instead removes the failed block and returns it inside the
     *     error, leaving the blocks staged before it staged)
     */
    public int stage(List<TokenBlock> tokenBlocks) {
        Objects.requireNonNull(tokenBlocks, "tokenBlocks");
        int count = Math.min(tokenBlocks.size(), store.unassigned.size());
        for (int i = 0; i < count; i++) {
            int index = i;
            TokenBlock tokens = Objects.requireNonNull(tokenBlocks.get(i), () -> "tokenBlocks[" + index + "]");
            MutableBlock block = store.unassigned.get(i).value();
            if (tokens.size() != block.blockSize()) {
                throw new BlockSizeMismatchException(block.blockId(), block.blockSize(), tokens.size());
            }
        }
        for (int i = 0; i < count; i++) {
            MutableBlock block = store.unassigned.get(0).value();
            CompleteBlock complete = block.complete(tokenBlocks.get(i));
            store.shiftUnassigned();
            store.addStaged(complete.blockId(), complete);
        }
        return count;
    }

    /**
     * Registers every staged block with {@code manager} and moves it to the assigned phase, in order.
     *
     * <p>Subscribing registers the staged blocks in one {@link BlockManager#registerAll} step of the manager's drain
     * loop; each subscription registers what is staged at that moment. Emits the number of blocks registered (0 at
     * once when nothing is staged), then completes. The registered handles are owned by the assignments. A block whose
     * hash the manager already held under {@link io.kvbm.manager.DuplicationPolicy#REJECT} comes back as a handle to
     * the existing block: it is kept under that block's id, since the staged slot went back to the reset pool (kvbm
     * keeps the staged id).
     *
     * <p>Fails with what {@code registerAll} fails with ({@link io.kvbm.manager.ManagerClosedException}, or
     * {@link IllegalStateException} if a staged guard was consumed or closed behind the assignments' back); the
     * staged blocks then stay staged. Once subscribed, the registration is not stopped by cancellation: its result is
     * still recorded in the assignments, only the signal is dropped, so cancelling never loses a handle. Signals
     * arrive on the subscribing thread or on the thread that owns the manager's drain loop.
     *
     * @param manager the manager that allocated the blocks
     * @return a lazy {@link Mono} of the number of blocks registered
     * @throws NullPointerException if {@code manager} is null
     */
    public Mono<Integer> register(BlockManager manager) {
        Objects.requireNonNull(manager, "manager");
        return runToCompletion(Mono.defer(() -> {
            if (store.staged.isEmpty()) {
                return Mono.just(0);
            }
            List<CompleteBlock> batch = store.staged.values();
            return manager.registerAll(batch).map(handles -> commitRegistered(batch, handles));
        }));
    }

    /**
     * Removes the newest unassigned block (LIFO) and hands it to the caller, who MUST close it.
     *
     * @return the block, or empty if no block is unassigned
     */
    public Optional<MutableBlock> popLastUnassigned() {
        return store.unassigned.isEmpty()
                ? Optional.empty()
                : Optional.of(store.popUnassigned().value());
    }

    /**
     * Removes the assigned blocks and hands them to the caller, who MUST close each.
     *
     * @return the handles in order
     */
    public List<ImmutableBlock> takeAssigned() {
        return values(store.takeAssigned());
    }

    /**
     * Removes the staged blocks and hands them to the caller, who MUST close or register each.
     *
     * @return the guards in order
     */
    public List<CompleteBlock> takeStaged() {
        return values(store.takeStaged());
    }

    /**
     * Removes the unassigned blocks and hands them to the caller, who MUST close or stage each.
     *
     * @return the guards in order
     */
    public List<MutableBlock> takeUnassigned() {
        return values(store.takeUnassigned());
    }

    /**
     * Closes every held guard and empties the assignments, which stay usable. Idempotent and non-blocking.
     *
     * <p>Unassigned and staged blocks return to the reset pool; assigned blocks release their handle, and a block
     * whose last handle this was stays cached in the inactive pool, where prefix matches still find it.
     */
    public void clear() {
        // Newest first: a sequence's tail blocks are the first ones an eviction should see freed.
        List<Entry<MutableBlock>> unassigned = store.takeUnassigned();
        List<Entry<CompleteBlock>> staged = store.takeStaged();
        List<Entry<ImmutableBlock>> assigned = store.takeAssigned();
        for (int i = unassigned.size() - 1; i >= 0; i--) {
            unassigned.get(i).value().close();
        }
        for (int i = staged.size() - 1; i >= 0; i--) {
            staged.get(i).value().close();
        }
        for (int i = assigned.size() - 1; i >= 0; i--) {
            assigned.get(i).value().close();
        }
    }

    /** Same as {@link #clear()}: returns every block; the assignments stay usable. */
    @Override
    public void close() {
        clear();
    }

    /**
     * Returns the phase sizes.
     *
     * @return e.g. {@code "LogicalBlockAssignments[assigned=2, staged=0, unassigned=1]"}
     */
    @Override
    public String toString() {
        return "LogicalBlockAssignments[assigned=" + assignedCount() + ", staged=" + stagedCount() + ", unassigned="
                + unassignedCount() + "]";
    }

    // ---------------------------------------------------------------------------------------------------------

    private int commitRegistered(List<CompleteBlock> batch, List<ImmutableBlock> handles) {
        for (int i = 0; i < handles.size(); i++) {
            if (store.staged.isEmpty() || store.staged.get(0).value() != batch.get(i)) {
                // The owner changed the staged blocks while the registration was in flight: keep nothing half-owned.
                handles.subList(i, handles.size()).forEach(ImmutableBlock::close);
                throw new ConcurrentModificationException(
                        "the staged blocks changed while their registration was in flight");
            }
            int stagedId = store.shiftStaged().id();
            ImmutableBlock handle = handles.get(i);
            // REJECT dedup hands back the existing primary; its id is where the data now lives. Keep the staged id only
            // if that id is already held here (the same hash staged twice), as kvbm always does.
            int id = store.contains(handle.blockId()) ? stagedId : handle.blockId();
            store.addAssigned(id, handle);
        }
        return handles.size();
    }

    /**
     * Runs {@code operation} to completion once subscribed, whatever the subscriber does: cancellation only drops the
     * signal, so a result that moves guards into the assignments is always recorded.
     */
    static <T> Mono<T> runToCompletion(Mono<T> operation) {
        return Mono.create(sink -> operation.subscribe(sink::success, sink::error, sink::success));
    }

    private static <T> Optional<T> get(AssignmentStore.Phase<T> phase, int index) {
        return index < 0 || index >= phase.size()
                ? Optional.empty()
                : Optional.of(phase.get(index).value());
    }

    private static <T> List<T> values(List<Entry<T>> entries) {
        List<T> values = new ArrayList<>(entries.size());
        for (Entry<T> entry : entries) {
            values.add(entry.value());
        }
        return Collections.unmodifiableList(values);
    }

    private static <T> List<Integer> ids(List<T> blocks, ToIntFunction<T> id) {
        Objects.requireNonNull(blocks, "blocks");
        List<Integer> ids = new ArrayList<>(blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            int index = i;
            ids.add(id.applyAsInt(Objects.requireNonNull(blocks.get(i), () -> "blocks[" + index + "]")));
        }
        return ids;
    }
}
