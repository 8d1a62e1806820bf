package io.kvbm.request;

import io.kvbm.block.BlockSizeMismatchException;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.AllocationPendingLimitException;
import io.kvbm.manager.AllocationTimeoutException;
import io.kvbm.manager.BlockManager;
import io.kvbm.sequence.BlockSequence;
import io.kvbm.sequence.IndexRange;
import io.kvbm.sequence.LogicalBlockAssignmentException;
import io.kvbm.sequence.LogicalBlockAssignments;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * One inference request's tokens and KV blocks on one tier, with the low-level operations a scheduler combines
 * itself (kvbm's {@code RequestSequence}): match the cached prefix, allocate, stage and register, append generated
 * tokens, release and reacquire. It enforces no scheduling protocol; {@link SchedulableSequence} adds one.
 *
 * <p>The manual protocol (block size 4, an 8-token prompt):
 *
 * <ol>
 *   <li>{@code new RequestSequence(prompt, maxOutput, 4)}: 2 complete blocks, nothing allocated.
 *   <li>{@link #matchAndAddPrefix}: the {@code k} cached prefix blocks become assigned.
 *   <li>{@link #allocateBlocks}{@code (numBlocks() - k + 1)}: the uncached blocks plus one <em>generation block</em>
 *       that will hold the tokens after the prompt (none when {@code maxOutput} is 0).
 *   <li>{@link #completeAndRegisterPending}: the complete blocks are staged and registered; the generation block stays
 *       unassigned.
 *   <li>Decode: {@link #appendToken} each generated token; when it returns a block index the generation block is
 *       complete: {@link #completeAndRegisterPending} registers it and {@code allocateBlocks(1)} gets the next one.
 *   <li>Finish: {@link #isComplete()}, then {@link #release()}.
 *   <li>Preemption: {@link #release()} now, {@link #reacquire} later; the prefix still cached is matched, not
 *       recomputed.
 * </ol>
 *
 * <p><b>Blocks.</b> The sequence owns every block it holds and gives them all back on {@link #release()} (or
 * {@link #close()}); registered blocks then stay cached in the manager's inactive pool until evicted. All the blocks
 * it holds belong to one manager, whose block size MUST equal the sequence's; a call with another manager fails
 * with {@link IllegalArgumentException} until the blocks are released.
 *
 * <p><b>Reactive operations.</b> Operations that touch the manager return a cold {@link Mono}: nothing happens until
 * subscription, and each subscription runs the operation once, through the manager's drain loop, without blocking.
 * Errors are signalled through {@code onError} (invalid arguments throw at once). The variants that never wait run to
 * completion once subscribed: cancelling drops the signal but never undoes or half-does the step, so no block is
 * lost. The variants with a {@code maxWait} stop waiting on cancellation: the allocation then takes nothing, or, if
 * the blocks were already handed over, the step is applied in full. Signals arrive on the subscribing thread or on
 * the thread that owns the manager's drain loop.
 *
 * <p><b>Single owner, not thread-safe.</b> One request, driven by one thread at a time, one operation at a time:
 * subscribing to an operation, or calling a synchronous mutator, while another operation of the same sequence is in
 * flight fails with {@link IllegalStateException}. Where kvbm panics (a programming error), this class throws
 * {@link IllegalStateException} or {@link IllegalArgumentException} with a message naming the value and the rule.
 */
public final class RequestSequence implements AutoCloseable {

    private final BlockSequence sequence;
    private final LogicalBlockAssignments assignments = new LogicalBlockAssignments();
    private final int numInputTokens;
    private final int maxOutputTokens;
    private int generatedTokens;
    private int prefixMatchedBlocks;

    /** The manager whose blocks are held; null while nothing is held. */
    private @Nullable BlockManager holder;

    /** The operation in flight (0: none); volatile so a misuse from another thread is seen. */
    private volatile long busy;

    private long lastOperation;

    /**
     * Creates a sequence for a prompt; allocates nothing and does not touch any manager.
     *
     * @param tokens the prompt; copied
     * @param maxOutputTokens the most tokens the request may generate, at least 0
     * @param blockSize the tokens per block, positive; MUST equal the block size of the manager it is used with
     * @throws NullPointerException if {@code tokens} is null
     * @throws IllegalArgumentException if {@code maxOutputTokens} is negative or {@code blockSize} is not positive
     */
    public RequestSequence(int[] tokens, int maxOutputTokens, int blockSize) {
        Objects.requireNonNull(tokens, "tokens");
        if (maxOutputTokens < 0) {
            throw new IllegalArgumentException("maxOutputTokens must be >= 0, got " + maxOutputTokens);
        }
        this.sequence = BlockSequence.of(tokens, blockSize);
        this.numInputTokens = tokens.length;
        this.maxOutputTokens = maxOutputTokens;
    }

    // ---------------------------------------------------------------------------------------------------------
    // reactive operations

    /**
     * Finds the cached prefix of the sequence and takes its blocks as assigned blocks.
     *
     * <p>Subscribing looks the hashes of every complete block up with {@link BlockManager#match}; the hits, a
     * contiguous prefix, become assigned (cached blocks are brought back from the inactive pool) and
     * {@link #prefixMatchedBlocks()} grows by their number. Emits that number, 0 when nothing is cached, then
     * completes.
     *
     * <p>Fails with {@link IllegalStateException} if the sequence already holds blocks (match first, or release),
     * with {@link LogicalBlockAssignmentException} if a matched block's hash differs from the sequence's (its blocks
     * already closed), and with {@link io.kvbm.manager.ManagerClosedException}; nothing is held then. Runs to
     * completion once subscribed.
     *
     * @param manager the manager to match in
     * @return a lazy {@link Mono} of the number of blocks matched
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<Integer> matchAndAddPrefix(BlockManager manager) {
        checkManager(manager);
        return run("matchAndAddPrefix", () -> matchPrefix(manager));
    }

    /**
     * Allocates {@code count} blocks if they are free now and appends them to the unassigned blocks.
     *
     * <p>Subscribing makes one all-or-nothing {@link BlockManager#tryAllocate} that never waits. Emits {@code true}
     * when the blocks are now held, {@code false} when they were not free (or {@code count} exceeds the manager's
     * size), in which case nothing is held; {@code count == 0} emits {@code true} without touching the manager. Fails
     * with {@link io.kvbm.manager.ManagerClosedException}. Runs to completion once subscribed.
     *
     * @param count the number of blocks, at least 0
     * @param manager the manager to allocate from
     * @return a lazy {@link Mono} of whether the blocks were allocated
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if {@code count} is negative or the manager's block size differs
     * @see #allocateBlocks(int, BlockManager, Duration)
     */
    public Mono<Boolean> allocateBlocks(int count, BlockManager manager) {
        requireCount(count, "count");
        checkManager(manager);
        return run(
                "allocateBlocks",
                () -> allocate(count, manager, null).onErrorResume(RequestSequence::isShortage, e -> Mono.just(false)));
    }

    /**
     * Allocates {@code count} blocks like {@link #allocateBlocks(int, BlockManager)}, waiting up to {@code maxWait}
     * for them (in the manager's FIFO line of waiting allocations) instead of giving up at once.
     *
     * <p>Emits {@code false} if they could not be allocated within {@code maxWait} or too many allocations are
     * already waiting. Cancelling while waiting takes nothing and leaves the sequence as it was; if the blocks were
     * already handed over, they are held by the sequence.
     *
     * @param count the number of blocks, at least 0
     * @param manager the manager to allocate from
     * @param maxWait the longest wait, positive
     * @return a lazy {@link Mono} of whether the blocks were allocated
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code count} is negative, {@code maxWait} not positive, or the manager's
     *     block size differs
     */
    public Mono<Boolean> allocateBlocks(int count, BlockManager manager, Duration maxWait) {
        requireCount(count, "count");
        checkManager(manager);
        requireMaxWait(maxWait);
        return runCancellable(
                "allocateBlocks",
                () -> allocate(count, manager, maxWait)
                        .onErrorResume(RequestSequence::isShortage, e -> Mono.just(false)));
    }

    /**
     * Registers the staged blocks, moving them to the assigned blocks.
     *
     * <p>Subscribing registers them in one {@link BlockManager#registerAll} step; registered blocks become visible to
     * other requests' prefix matches. Emits the number registered (0 when nothing is staged), then completes. Fails
     * with {@link io.kvbm.manager.ManagerClosedException}, the blocks staying staged. Runs to completion once
     * subscribed.
     *
     * @param manager the manager that allocated the blocks
     * @return a lazy {@link Mono} of the number of blocks registered
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<Integer> registerStaged(BlockManager manager) {
        checkManager(manager);
        return run("registerStaged", () -> {
            requireHolder(manager);
            return assignments.register(manager);
        });
    }

    /**
     * Stages every unassigned block whose token block is complete, then registers every staged block:
     * {@link #stagePending()} then {@link #registerStaged}. A generation block whose tokens are not complete yet stays
     * unassigned.
     *
     * @param manager the manager that allocated the blocks
     * @return a lazy {@link Mono} of the number of blocks registered
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<Integer> completeAndRegisterPending(BlockManager manager) {
        checkManager(manager);
        return run("completeAndRegisterPending", () -> completeAndRegister(manager));
    }

    /**
     * Holds again every complete block of a released sequence: the still-cached prefix by matching, the rest by
     * allocating, staging and registering at once.
     *
     * <p>Subscribing (1) matches the hashes of every complete block and takes the hits as assigned blocks, (2)
     * allocates the missing blocks with one {@link BlockManager#tryAllocate} that never waits (no generation block:
     * the next decode step allocates it), (3) stages and registers them. {@link #prefixMatchedBlocks()} becomes the
     * number of hits. Emits {@code true} when every complete block is held again, or {@code false} when the missing
     * blocks were not free; then nothing at all is held (matched blocks included) and {@code prefixMatchedBlocks()}
     * is 0. Generated tokens are kept either way.
     *
     * <p>Re-allocated blocks are registered right away although the engine must recompute their KV data before it
     * reads them; keeping the two consistent is the caller's business (as in kvbm).
     *
     * <p>Fails with {@link IllegalStateException} if the sequence holds blocks (release first), and with
     * {@link io.kvbm.manager.ManagerClosedException}; nothing is held then. Runs to completion once subscribed.
     *
     * @param manager the manager to reacquire from
     * @return a lazy {@link Mono} of whether every complete block is held again
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<Boolean> reacquire(BlockManager manager) {
        checkManager(manager);
        return run("reacquire", () -> reacquireBlocks(manager));
    }

    // ---------------------------------------------------------------------------------------------------------
    // synchronous operations

    /**
     * Stages unassigned blocks, oldest first, with the complete token blocks that follow the assigned and staged
     * ones. Staged blocks are not visible to prefix matches until {@link #registerStaged registered}.
     *
     * @return the number of blocks staged
     * @throws IllegalStateException if an operation is in flight
     */
    public int stagePending() {
        requireNotBusy("stagePending");
        return stage();
    }

    /**
     * Appends one generated token.
     *
     * @param token the token
     * @return the index of the block this token completed, or empty
     * @throws IllegalStateException if the output budget is used up ({@code generatedTokens() >= maxOutputTokens()})
     *     or an operation is in flight
     */
    public OptionalInt appendToken(int token) {
        requireNotBusy("appendToken");
        return append(token);
    }

    /**
     * Gives every block back: unassigned and staged ones to the reset pool, assigned ones to the inactive pool (still
     * cached) unless someone else holds them. Idempotent; tokens and counters are kept, so {@link #reacquire} can
     * follow.
     *
     * @throws IllegalStateException if an operation is in flight
     */
    public void release() {
        requireNotBusy("release");
        clearBlocks();
    }

    /** Same as {@link #release()}: what dropping the sequence does in kvbm. */
    @Override
    public void close() {
        release();
    }

    /**
     * Drops unassigned blocks, newest first, until at most {@code keep} are left; they return to the reset pool.
     *
     * @param keep the unassigned blocks to keep, at least 0
     * @return the number dropped
     * @throws IllegalArgumentException if {@code keep} is negative
     * @throws IllegalStateException if an operation is in flight
     */
    public int dropExcessUnassigned(int keep) {
        requireCount(keep, "keep");
        requireNotBusy("dropExcessUnassigned");
        return dropLastUnassigned(assignments.unassignedCount() - keep);
    }

    // ---------------------------------------------------------------------------------------------------------
    // accessors

    /**
     * Returns the number of tokens generated so far.
     *
     * @return the count
     */
    public int generatedTokens() {
        return generatedTokens;
    }

    /**
     * Returns the output budget.
     *
     * @return the most tokens the request may generate
     */
    public int maxOutputTokens() {
        return maxOutputTokens;
    }

    /**
     * Returns the prompt length.
     *
     * @return the input tokens
     */
    public int numInputTokens() {
        return numInputTokens;
    }

    /**
     * Returns the number of tokens, prompt and generated.
     *
     * @return the token count
     */
    public int totalTokens() {
        return sequence.totalTokens();
    }

    /**
     * Returns how many more tokens may be generated.
     *
     * @return {@code max(0, maxOutputTokens - generatedTokens)}
     */
    public int remainingTokens() {
        return Math.max(0, maxOutputTokens - generatedTokens);
    }

    /**
     * Returns whether the output budget is used up; true at once when {@code maxOutputTokens} is 0.
     *
     * @return {@code generatedTokens() >= maxOutputTokens()}
     */
    public boolean isComplete() {
        return generatedTokens >= maxOutputTokens;
    }

    /**
     * Returns the number of complete token blocks.
     *
     * @return {@code totalTokens() / blockSize()}
     */
    public int numBlocks() {
        return sequence.blockCount();
    }

    /**
     * Returns the number of assigned (registered) blocks held.
     *
     * @return the count
     */
    public int assignedBlocks() {
        return assignments.assignedCount();
    }

    /**
     * Returns the number of staged blocks held.
     *
     * @return the count
     */
    public int stagedBlocks() {
        return assignments.stagedCount();
    }

    /**
     * Returns the number of unassigned blocks held (allocated, no data yet).
     *
     * @return the count
     */
    public int unassignedBlocks() {
        return assignments.unassignedCount();
    }

    /**
     * Returns the number of blocks the last prefix match found cached.
     *
     * @return the count
     */
    public int prefixMatchedBlocks() {
        return prefixMatchedBlocks;
    }

    /**
     * Returns the number of tokens per block.
     *
     * @return the block size
     */
    public int blockSize() {
        return sequence.blockSize();
    }

    /**
     * Returns the number of tokens a prefill must compute: those not covered by cached prefix blocks.
     *
     * @return {@code max(0, totalTokens() - prefixMatchedBlocks() * blockSize())}
     */
    public int newTokensForPrefill() {
        return (int) Math.max(0L, (long) totalTokens() - (long) prefixMatchedBlocks * blockSize());
    }

    /**
     * Returns the ids of every held block, assigned then staged then unassigned: the request's KV page indices.
     *
     * @return a new array
     */
    public int[] pageIndices() {
        return assignments.allBlockIds().stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Returns the sequence hash of every complete block, in position order.
     *
     * @return an unmodifiable snapshot
     */
    public List<SequenceHash> sequenceHashes() {
        return sequence.allSequenceHashes();
    }

    /**
     * Returns the counts.
     *
     * @return e.g. {@code "RequestSequence[tokens=9 (input 8, generated 1 of 10), blocks=2, assigned=2, staged=0,
     *     unassigned=1, prefixMatched=0]"}
     */
    @Override
    public String toString() {
        return "RequestSequence[tokens=" + totalTokens() + " (input " + numInputTokens + ", generated "
                + generatedTokens + " of " + maxOutputTokens + "), blocks=" + numBlocks() + ", assigned="
                + assignedBlocks() + ", staged=" + stagedBlocks() + ", unassigned=" + unassignedBlocks()
                + ", prefixMatched=" + prefixMatchedBlocks + "]";
    }

    // ---------------------------------------------------------------------------------------------------------
    // building blocks, shared with SchedulableSequence (same package); none of them takes the operation guard

    /** The blocks held in any phase. */
    int heldBlocks() {
        return assignments.assignedCount() + assignments.stagedCount() + assignments.unassignedCount();
    }

    /** Matches the prefix, takes the hits and counts them in prefixMatchedBlocks; emits their number. */
    Mono<Integer> matchPrefix(BlockManager manager) {
        requireHolder(manager);
        requireNothingHeld("matchAndAddPrefix");
        List<SequenceHash> hashes = sequence.allSequenceHashes();
        if (hashes.isEmpty()) {
            return Mono.just(0);
        }
        return manager.match(hashes).collectList().map(hits -> {
            int matched = takeMatched(hits, manager);
            prefixMatchedBlocks += matched;
            return matched;
        });
    }

    /**
     * Takes matched blocks as assigned blocks after checking that they fit the complete blocks and that each hash is
     * the sequence's hash at its position (kvbm's {@code add_matched_blocks}).
     *
     * @throws IllegalStateException if there are more blocks than complete token blocks; the blocks are closed
     * @throws LogicalBlockAssignmentException if a hash differs or an id is held; every block is handed back
     */
    int addMatchedBlocks(List<ImmutableBlock> blocks) {
        int offset = assignments.assignedCount();
        if (offset + blocks.size() > sequence.blockCount()) {
            blocks.forEach(ImmutableBlock::close);
            throw new IllegalStateException("matched blocks exceed completed sequence blocks: " + blocks.size()
                    + " matched after " + offset + " assigned, but the sequence has " + sequence.blockCount()
                    + " complete block(s)");
        }
        for (int i = 0; i < blocks.size(); i++) {
            SequenceHash expected = sequence.block(offset + i).sequenceHash();
            SequenceHash actual = blocks.get(i).sequenceHash();
            if (!expected.equals(actual)) {
                throw LogicalBlockAssignmentException.sequenceHashMismatch(offset + i, expected, actual, blocks);
            }
        }
        return assignments.extendAssigned(blocks);
    }

    /**
     * Allocates {@code count} blocks and takes them as unassigned; emits false if they are not free now
     * ({@code maxWait} null) or if {@code count} exceeds the manager. A wait that times out or is refused signals the
     * manager's exception ({@link #isShortage}).
     */
    Mono<Boolean> allocate(int count, BlockManager manager, @Nullable Duration maxWait) {
        requireHolder(manager);
        if (count == 0) {
            return Mono.just(true);
        }
        if (count > manager.totalBlocks()) {
            return Mono.just(false);
        }
        Mono<List<MutableBlock>> blocks =
                maxWait == null ? manager.tryAllocate(count) : manager.allocate(count, maxWait);
        return blocks.map(b -> takeAllocated(b, manager)).defaultIfEmpty(false);
    }

    /** Stages what can be staged, then registers every staged block; emits the number registered. */
    Mono<Integer> completeAndRegister(BlockManager manager) {
        requireHolder(manager);
        stage();
        return assignments.register(manager);
    }

    /** kvbm's reacquire; see {@link #reacquire}. */
    Mono<Boolean> reacquireBlocks(BlockManager manager) {
        requireHolder(manager);
        requireNothingHeld("reacquire");
        int complete = sequence.blockCount();
        if (complete == 0) {
            prefixMatchedBlocks = 0;
            return Mono.just(true);
        }
        return manager.match(sequence.allSequenceHashes())
                .collectList()
                .flatMap(hits -> {
                    int matched = takeMatched(hits, manager);
                    int missing = complete - matched;
                    if (missing == 0) {
                        return Mono.just(matched);
                    }
                    return allocate(missing, manager, null).flatMap(ok -> {
                        if (!ok) {
                            return Mono.just(-1);
                        }
                        stage();
                        return assignments.register(manager).thenReturn(matched);
                    });
                })
                .map(matched -> {
                    if (matched < 0) {
                        clearBlocks();
                        prefixMatchedBlocks = 0;
                        return false;
                    }
                    prefixMatchedBlocks = matched;
                    return true;
                })
                .onErrorResume(e -> {
                    clearBlocks();
                    prefixMatchedBlocks = 0;
                    return Mono.error(e);
                });
    }

    /** Stages unassigned blocks against the complete token blocks after the assigned and staged ones. */
    int stage() {
        int from = assignments.assignedCount() + assignments.stagedCount();
        int count = Math.min(sequence.blockCount() - from, assignments.unassignedCount());
        if (count <= 0) {
            return 0;
        }
        List<TokenBlock> tokenBlocks = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            tokenBlocks.add(sequence.block(from + i));
        }
        try {
            return assignments.stage(tokenBlocks);
        } catch (BlockSizeMismatchException e) {
            throw new IllegalStateException(
                    "staging failed: the sequence's blockSize " + blockSize() + " differs from its blocks'", e);
        }
    }

    /** Appends a generated token; throws if the output budget is used up. */
    OptionalInt append(int token) {
        if (generatedTokens >= maxOutputTokens) {
            throw new IllegalStateException("cannot generate more tokens: " + generatedTokens
                    + " generated, maxOutputTokens is " + maxOutputTokens);
        }
        OptionalInt completed = sequence.appendToken(token);
        generatedTokens++;
        return completed;
    }

    /** Appends generated tokens; throws if they exceed the output budget. */
    Optional<IndexRange> appendGenerated(int[] tokens) {
        if (tokens.length > remainingTokens()) {
            throw new IllegalStateException("cannot generate " + tokens.length + " more tokens: " + generatedTokens
                    + " generated, maxOutputTokens is " + maxOutputTokens);
        }
        Optional<IndexRange> completed = sequence.extendTokens(tokens);
        generatedTokens += tokens.length;
        return completed;
    }

    /** Closes up to {@code count} unassigned blocks, newest first; returns how many. */
    int dropLastUnassigned(int count) {
        int dropped = 0;
        while (dropped < count) {
            Optional<MutableBlock> block = assignments.popLastUnassigned();
            if (block.isEmpty()) {
                break;
            }
            block.get().close();
            dropped++;
        }
        if (assignments.isEmpty()) {
            holder = null;
        }
        return dropped;
    }

    void clearBlocks() {
        assignments.clear();
        holder = null;
    }

    /** Runs an operation to completion once subscribed, holding the operation guard while it runs. */
    <T> Mono<T> run(String operation, Supplier<Mono<T>> body) {
        Mono<T> guarded = guarded(operation, body);
        return Mono.create(sink -> guarded.subscribe(sink::success, sink::error, sink::success));
    }

    /** Runs an operation that may wait; cancelling it cancels the wait. */
    <T> Mono<T> runCancellable(String operation, Supplier<Mono<T>> body) {
        return guarded(operation, body);
    }

    void requireNotBusy(String operation) {
        if (busy != 0) {
            throw inFlight(operation);
        }
    }

    void checkManager(BlockManager manager) {
        Objects.requireNonNull(manager, "manager");
        if (manager.blockSize() != blockSize()) {
            throw new IllegalArgumentException("manager " + manager.id() + " has blockSize " + manager.blockSize()
                    + ", but the sequence's blockSize is " + blockSize() + ": they must be equal");
        }
    }

    static void requireMaxWait(Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive, got " + maxWait);
        }
    }

    static void requireCount(int count, String name) {
        if (count < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + count);
        }
    }

    /** Whether {@code e} says the blocks could not be had in time, as opposed to a failure of the manager. */
    static boolean isShortage(Throwable e) {
        return e instanceof AllocationTimeoutException || e instanceof AllocationPendingLimitException;
    }

    // ---------------------------------------------------------------------------------------------------------

    private <T> Mono<T> guarded(String operation, Supplier<Mono<T>> body) {
        return Mono.defer(() -> {
            long op = enter(operation);
            Mono<T> mono;
            try {
                mono = body.get();
            } catch (RuntimeException e) {
                exit(op);
                throw e;
            }
            // Leave before the signal goes downstream, so that the next operation may start from onNext.
            return mono.doOnSuccess(v -> exit(op)).doOnError(e -> exit(op)).doOnCancel(() -> exit(op));
        });
    }

    private long enter(String operation) {
        if (busy != 0) {
            throw inFlight(operation);
        }
        long op = ++lastOperation;
        busy = op;
        return op;
    }

    private void exit(long op) {
        if (busy == op) {
            busy = 0;
        }
    }

    private static IllegalStateException inFlight(String operation) {
        return new IllegalStateException(operation + " refused: another operation of this sequence is in flight "
                + "(a sequence is single-owner: run its operations one at a time)");
    }

    private int takeMatched(List<ImmutableBlock> hits, BlockManager manager) {
        if (hits.isEmpty()) {
            return 0;
        }
        try {
            addMatchedBlocks(hits);
        } catch (LogicalBlockAssignmentException e) {
            e.closeBlocks();
            throw e;
        }
        holder = manager;
        return hits.size();
    }

    private boolean takeAllocated(List<MutableBlock> blocks, BlockManager manager) {
        try {
            assignments.extendBlocks(blocks);
        } catch (LogicalBlockAssignmentException e) {
            e.closeBlocks();
            return false;
        }
        holder = manager;
        return true;
    }

    private void requireHolder(BlockManager manager) {
        BlockManager h = holder;
        if (h != null && h != manager) {
            throw new IllegalArgumentException("the sequence holds blocks of manager " + h.id() + ", not of manager "
                    + manager.id() + ": pass that manager, or release the blocks first");
        }
    }

    private void requireNothingHeld(String operation) {
        if (!assignments.isEmpty()) {
            throw new IllegalStateException(operation + " needs a sequence that holds no block, but it holds "
                    + assignments + ": release it first");
        }
    }
}
