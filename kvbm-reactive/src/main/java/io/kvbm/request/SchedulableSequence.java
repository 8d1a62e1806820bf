package io.kvbm.request;

import io.kvbm.manager.BlockManager;
import io.kvbm.sequence.LogicalBlockAssignmentException;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link RequestSequence} driven by a two-phase <em>schedule / apply</em> state machine, the way a
 * continuous-batching scheduler drives a request (kvbm's {@code SchedulableSequence}).
 *
 * <p>Each engine step has two halves. Before the forward pass the scheduler <em>schedules</em> the step: a prefill
 * chunk ({@link #schedulePrefill}), one decode token ({@link #scheduleDecode}) or a speculative budget
 * ({@link #scheduleSpeculative}); scheduling allocates every block the step can need, all at once or not at all,
 * and moves the sequence from {@link SequenceState.Kind#IDLE} to the matching scheduled state. After the forward pass
 * it <em>applies</em> the step ({@link #applyPrefill}, {@link #applyDecode}, {@link #applySpeculative}) with the
 * tokens the model produced: complete blocks are staged and registered in the same call, and the sequence is idle
 * again. A step that does not run is reverted ({@link #revertSchedule()}), giving back what its schedule allocated.
 *
 * <pre>
 *   build ─► IDLE ──schedulePrefill──► PREFILL_SCHEDULED ──applyPrefill(token on the final chunk)──► IDLE
 *            IDLE ──scheduleDecode───► DECODE_SCHEDULED ───applyDecode(token) → DecodeOutcome───────► IDLE
 *            IDLE ──scheduleSpeculative(k)─► SPECULATIVE_SCHEDULED ──applySpeculative(accepted)────► IDLE
 *            any scheduled state ──revertSchedule──► IDLE          IDLE ──release / reacquire──► IDLE
 * </pre>
 *
 * <p><b>Positions.</b> {@link #prefillPosition()} counts the prompt tokens processed, {@link #kvPosition()} the
 * tokens whose KV is computed. The token the model returns with the final prefill chunk and with each decode step is
 * appended but its KV is only computed by the next step: it is <em>dangling</em>, and {@link #tailTokens()} is 1
 * between steps. A decode step needs exactly one dangling token. Tokens appended with {@link #appendTokens} are
 * dangling too (for a request without a prompt, for example).
 *
 * <p><b>Errors.</b> Every check runs before anything changes: a refused step leaves the sequence exactly as it was.
 * Scheduling refusals are {@link ScheduleException}s (an allocation failure leaves the sequence idle with nothing
 * newly held); apply, revert, release, reacquire and append refusals are {@link ApplyException}s. Programming errors
 * that kvbm answers with a panic throw {@link IllegalStateException} or {@link IllegalArgumentException}. Errors of
 * {@link Mono}-returning methods are signalled through {@code onError}; the synchronous methods throw.
 *
 * <p><b>Reactive operations</b> are cold, run through the manager's drain loop and never block; their cancellation
 * and threading are those of {@link RequestSequence}: an operation that never waits runs to completion once
 * subscribed, and one given a {@code maxWait} stops waiting when cancelled, leaving the sequence idle with nothing
 * newly held unless the blocks were already handed over.
 *
 * <p><b>Events.</b> Every transition is reported, synchronously and in order, to the {@link SequenceDelegate} given
 * to the {@link Builder} and to the subscribers of {@link #events()}.
 *
 * <p><b>Single owner, not thread-safe</b>: one request, driven by one thread at a time, one operation at a time. An
 * operation started while another is in flight fails with {@link IllegalStateException}.
 */
public final class SchedulableSequence implements AutoCloseable {

    private final RequestSequence inner;
    private final SequenceEvents events;
    private SequenceState state = SequenceState.IDLE;
    private int prefillPosition;
    private int kvPosition;

    private SchedulableSequence(RequestSequence inner, SequenceEvents events) {
        this.inner = inner;
        this.events = events;
    }

    /**
     * Returns a builder. {@link Builder#tokens}, {@link Builder#maxOutputTokens} and {@link Builder#blockSize} are
     * required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------------------------------------------------
    // prefix

    /**
     * Finds the cached prefix and takes its blocks; the prefill and KV positions skip the tokens they hold.
     *
     * <p>Subscribing runs {@link RequestSequence#matchAndAddPrefix}; the positions advance by the matched blocks ×
     * block size, and {@link SequenceEvent.PrefixMatched} is emitted, even for 0 blocks. Emits the number of blocks
     * matched, then completes. Fails with {@link ScheduleException} {@link ScheduleException.Kind#NOT_IDLE}, with
     * {@link IllegalStateException} if the sequence already holds blocks, and with
     * {@link io.kvbm.manager.ManagerClosedException}. Runs to completion once subscribed.
     *
     * @param manager the manager to match in
     * @return a lazy {@link Mono} of the number of blocks matched
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<Integer> matchAndAddPrefix(BlockManager manager) {
        inner.checkManager(manager);
        return inner.run("matchAndAddPrefix", () -> {
            requireIdleToSchedule();
            return inner.matchPrefix(manager)
                    .onErrorMap(
                            LogicalBlockAssignmentException.class,
                            e -> new IllegalStateException("the prefix match was refused: " + e.getMessage(), e))
                    .map(matched -> {
                        prefillPosition += matched * inner.blockSize();
                        kvPosition = prefillPosition;
                        events.emit(new SequenceEvent.PrefixMatched(matched));
                        return matched;
                    });
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // prefill

    /**
     * Schedules a prefill chunk of {@code numTokens} prompt tokens, allocating the blocks it completes if they are
     * free now.
     *
     * <p>Subscribing allocates, with one {@link BlockManager#tryAllocate} that never waits, the blocks needed to hold
     * every complete block up to {@code prefillPosition() + numTokens} that is not held yet (none for the partial tail
     * of the prompt: {@link #scheduleDecode} allocates that one). Emits the new state
     * {@link SequenceState#prefillScheduled PrefillScheduled(numTokens, allocated)}, after
     * {@link SequenceEvent.PrefillScheduled}, then completes.
     *
     * <p>Fails with {@link ScheduleException} of kind {@link ScheduleException.Kind#NOT_IDLE},
     * {@link ScheduleException.Kind#PREFILL_COMPLETE}, {@link ScheduleException.Kind#PREFILL_OVERRUN} (the chunk
     * passes the prompt) or {@link ScheduleException.Kind#ALLOCATION_FAILED}; the sequence is unchanged then. Runs to
     * completion once subscribed.
     *
     * @param numTokens the chunk size, at least 0
     * @param manager the manager to allocate from
     * @return a lazy {@link Mono} of the new state
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if {@code numTokens} is negative or the manager's block size differs
     * @see #schedulePrefill(int, BlockManager, Duration)
     */
    public Mono<SequenceState> schedulePrefill(int numTokens, BlockManager manager) {
        RequestSequence.requireCount(numTokens, "numTokens");
        inner.checkManager(manager);
        return inner.run("schedulePrefill", () -> prefill(numTokens, manager, null));
    }

    /**
     * Schedules a prefill chunk like {@link #schedulePrefill(int, BlockManager)}, waiting up to {@code maxWait} for
     * the blocks in the manager's FIFO line; {@link ScheduleException.Kind#ALLOCATION_FAILED} (caused by the manager's
     * timeout or pending-limit exception) if they do not come in time. Cancelling while waiting takes nothing and
     * leaves the sequence idle.
     *
     * @param numTokens the chunk size, at least 0
     * @param manager the manager to allocate from
     * @param maxWait the longest wait, positive
     * @return a lazy {@link Mono} of the new state
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code numTokens} is negative, {@code maxWait} is not positive or the
     *     manager's block size differs
     */
    public Mono<SequenceState> schedulePrefill(int numTokens, BlockManager manager, Duration maxWait) {
        RequestSequence.requireCount(numTokens, "numTokens");
        inner.checkManager(manager);
        RequestSequence.requireMaxWait(maxWait);
        return inner.runCancellable("schedulePrefill", () -> prefill(numTokens, manager, maxWait));
    }

    /**
     * Applies a scheduled prefill chunk that is not the last one (or the last one of a request that generates
     * nothing).
     *
     * <p>See {@link #applyPrefill(int, BlockManager)}; fails with {@link ApplyException}
     * {@link ApplyException.Kind#MISSING_TOKEN_ON_FINAL_CHUNK} if this is the final chunk and the request may
     * generate tokens.
     *
     * @param manager the manager that allocated the blocks
     * @return a lazy {@link Mono} that completes once the chunk is applied
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<Void> applyPrefill(BlockManager manager) {
        inner.checkManager(manager);
        return inner.run("applyPrefill", () -> prefillApplied(OptionalInt.empty(), manager));
    }

    /**
     * Applies the final scheduled prefill chunk together with the first token the model generated.
     *
     * <p>Subscribing stages and registers every block the prefilled tokens complete, advances the prefill and KV
     * positions past the chunk, then appends {@code firstToken}, which dangles until the first decode step (a block it
     * completes is registered by that step). The sequence is idle again; {@link SequenceEvent.PrefillApplied} is
     * emitted. Completes empty.
     *
     * <p>Fails with {@link ApplyException} of kind {@link ApplyException.Kind#WRONG_STATE} (not
     * {@code PrefillScheduled}) or {@link ApplyException.Kind#TOKEN_ON_NON_FINAL_CHUNK}, and with
     * {@link IllegalStateException} if the request may not generate a token (maxOutputTokens 0); the sequence is
     * unchanged then. Fails with {@link io.kvbm.manager.ManagerClosedException} if the manager was closed: the blocks
     * stay staged and the step stays scheduled, to be reverted. Runs to completion once subscribed.
     *
     * @param firstToken the first generated token
     * @param manager the manager that allocated the blocks
     * @return a lazy {@link Mono} that completes once the chunk is applied
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<Void> applyPrefill(int firstToken, BlockManager manager) {
        inner.checkManager(manager);
        return inner.run("applyPrefill", () -> prefillApplied(OptionalInt.of(firstToken), manager));
    }

    // ---------------------------------------------------------------------------------------------------------
    // decode

    /**
     * Schedules one decode step, allocating the blocks it needs if they are free now.
     *
     * <p>Subscribing allocates, with one {@link BlockManager#tryAllocate} that never waits, a block for every complete
     * token block not held yet (a block the prefill's token completed) plus one generation block for the token to
     * come, minus the unassigned blocks already held: 1 after a prefill, 0 while the generation block is still
     * partial, 2 when the prefill's token completed a block. Emits the new state
     * {@link SequenceState#decodeScheduled DecodeScheduled(allocated)}, after {@link SequenceEvent.DecodeScheduled},
     * then completes.
     *
     * <p>Fails with {@link ScheduleException} of kind {@link ScheduleException.Kind#NOT_IDLE},
     * {@link ScheduleException.Kind#PREFILL_NOT_COMPLETE}, {@link ScheduleException.Kind#GENERATION_COMPLETE},
     * {@link ScheduleException.Kind#WRONG_DANGLING_COUNT} (decoding needs exactly one dangling token) or
     * {@link ScheduleException.Kind#ALLOCATION_FAILED}; the sequence is unchanged then. Runs to completion once
     * subscribed.
     *
     * @param manager the manager to allocate from
     * @return a lazy {@link Mono} of the new state
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     * @see #scheduleDecode(BlockManager, Duration)
     */
    public Mono<SequenceState> scheduleDecode(BlockManager manager) {
        inner.checkManager(manager);
        return inner.run("scheduleDecode", () -> decode(manager, null));
    }

    /**
     * Schedules one decode step like {@link #scheduleDecode(BlockManager)}, waiting up to {@code maxWait} for the
     * blocks; cancelling while waiting takes nothing and leaves the sequence idle.
     *
     * @param manager the manager to allocate from
     * @param maxWait the longest wait, positive
     * @return a lazy {@link Mono} of the new state
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code maxWait} is not positive or the manager's block size differs
     */
    public Mono<SequenceState> scheduleDecode(BlockManager manager, Duration maxWait) {
        inner.checkManager(manager);
        RequestSequence.requireMaxWait(maxWait);
        return inner.runCancellable("scheduleDecode", () -> decode(manager, maxWait));
    }

    /**
     * Applies a scheduled decode step with the token the model generated.
     *
     * <p>Subscribing appends {@code token}, stages and registers every complete block not registered yet (the block
     * this token completed included, although its last token's KV is computed by the next step, as in kvbm) and
     * advances the KV position by one. The sequence is idle again; {@link SequenceEvent.DecodeApplied} is emitted.
     * Emits the {@link DecodeOutcome}, then completes.
     *
     * <p>Fails with {@link ApplyException} {@link ApplyException.Kind#WRONG_STATE} (not {@code DecodeScheduled});
     * the sequence is unchanged then. Fails with {@link io.kvbm.manager.ManagerClosedException} if the manager was
     * closed: the token is then appended, the blocks stay staged and the step stays scheduled, to be reverted. Runs
     * to completion once subscribed.
     *
     * @param token the generated token
     * @param manager the manager that allocated the blocks
     * @return a lazy {@link Mono} of the outcome
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<DecodeOutcome> applyDecode(int token, BlockManager manager) {
        inner.checkManager(manager);
        return inner.run("applyDecode", () -> decodeApplied(token, manager));
    }

    // ---------------------------------------------------------------------------------------------------------
    // speculative decode

    /**
     * Schedules a speculative step of up to {@code numTokens} draft tokens, allocating the blocks they can fill if
     * they are free now.
     *
     * <p>The budget is clamped to {@link #remainingTokens()}. Subscribing allocates, with one
     * {@link BlockManager#tryAllocate} that never waits, enough blocks to hold {@code totalTokens() + budget} tokens,
     * minus the blocks held. Emits the new state {@link SequenceState#speculativeScheduled
     * SpeculativeScheduled(budget, allocated)}, after {@link SequenceEvent.SpeculativeScheduled}, then completes.
     * Fails with the {@link ScheduleException}s of {@link #scheduleDecode(BlockManager)}; the sequence is unchanged
     * then. Runs to completion once subscribed.
     *
     * @param numTokens the draft tokens to verify, at least 0
     * @param manager the manager to allocate from
     * @return a lazy {@link Mono} of the new state
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if {@code numTokens} is negative or the manager's block size differs
     * @see #scheduleSpeculative(int, BlockManager, Duration)
     */
    public Mono<SequenceState> scheduleSpeculative(int numTokens, BlockManager manager) {
        RequestSequence.requireCount(numTokens, "numTokens");
        inner.checkManager(manager);
        return inner.run("scheduleSpeculative", () -> speculate(numTokens, manager, null));
    }

    /**
     * Schedules a speculative step like {@link #scheduleSpeculative(int, BlockManager)}, waiting up to
     * {@code maxWait} for the blocks; cancelling while waiting takes nothing and leaves the sequence idle.
     *
     * @param numTokens the draft tokens to verify, at least 0
     * @param manager the manager to allocate from
     * @param maxWait the longest wait, positive
     * @return a lazy {@link Mono} of the new state
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code numTokens} is negative, {@code maxWait} is not positive or the
     *     manager's block size differs
     */
    public Mono<SequenceState> scheduleSpeculative(int numTokens, BlockManager manager, Duration maxWait) {
        RequestSequence.requireCount(numTokens, "numTokens");
        inner.checkManager(manager);
        RequestSequence.requireMaxWait(maxWait);
        return inner.runCancellable("scheduleSpeculative", () -> speculate(numTokens, manager, maxWait));
    }

    /**
     * Applies a scheduled speculative step with the tokens the verifier accepted (possibly none).
     *
     * <p>Subscribing appends the accepted tokens, stages and registers every complete block not registered yet,
     * advances the KV position by their number, and gives back the unassigned blocks beyond one generation block (all
     * of them when the output budget is used up), newest first. The sequence is idle again;
     * {@link SequenceEvent.SpeculativeApplied} is emitted. Emits the {@link DecodeOutcome} ({@code BLOCK_COMPLETED}
     * if any accepted token completed a block), then completes.
     *
     * <p>Fails with {@link ApplyException} of kind {@link ApplyException.Kind#WRONG_STATE} or
     * {@link ApplyException.Kind#ACCEPTED_EXCEEDS_SCHEDULED}; the sequence is unchanged and stays scheduled, to be
     * reverted. Fails with {@link io.kvbm.manager.ManagerClosedException} as {@link #applyDecode} does. Runs to
     * completion once subscribed.
     *
     * @param accepted the accepted tokens, at most the scheduled budget; copied
     * @param manager the manager that allocated the blocks
     * @return a lazy {@link Mono} of the outcome
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<DecodeOutcome> applySpeculative(int[] accepted, BlockManager manager) {
        int[] tokens = Objects.requireNonNull(accepted, "accepted").clone();
        inner.checkManager(manager);
        return inner.run("applySpeculative", () -> speculativeApplied(tokens, manager));
    }

    // ---------------------------------------------------------------------------------------------------------
    // synchronous transitions

    /**
     * Abandons the scheduled step: gives back, newest first, the blocks its schedule call allocated and returns to
     * idle; tokens and positions are untouched (nothing was applied). Emits {@link SequenceEvent.ScheduleReverted}
     * with the number the schedule recorded.
     *
     * @throws ApplyException of kind {@link ApplyException.Kind#WRONG_STATE} if the sequence is idle
     * @throws IllegalStateException if an operation is in flight
     */
    public void revertSchedule() {
        inner.requireNotBusy("revertSchedule");
        if (state.isIdle()) {
            throw ApplyException.wrongState("any Scheduled state", state);
        }
        int allocated = state.blocksAllocated();
        inner.dropLastUnassigned(allocated);
        state = SequenceState.IDLE;
        events.emit(new SequenceEvent.ScheduleReverted(allocated));
    }

    /**
     * Gives back up to {@code count} unassigned blocks, newest first. Emits {@link SequenceEvent.UnassignedDropped}
     * when at least one was dropped.
     *
     * @param count the most blocks to drop, at least 0
     * @return the number dropped
     * @throws IllegalArgumentException if {@code count} is negative
     * @throws IllegalStateException if the sequence is not idle (kvbm panics), or an operation is in flight
     */
    public int dropUnassigned(int count) {
        RequestSequence.requireCount(count, "count");
        inner.requireNotBusy("dropUnassigned");
        if (!state.isIdle()) {
            throw new IllegalStateException("dropUnassigned needs an Idle sequence, but it is " + state
                    + ": revert or apply the scheduled step first");
        }
        int dropped = inner.dropLastUnassigned(count);
        if (dropped > 0) {
            events.emit(new SequenceEvent.UnassignedDropped(dropped));
        }
        return dropped;
    }

    /**
     * Gives every block back (preemption or completion); registered ones stay cached until evicted. Positions and
     * tokens are kept, so {@link #reacquire} can resume the request. Emits {@link SequenceEvent.Released}.
     *
     * @throws ApplyException of kind {@link ApplyException.Kind#WRONG_STATE} if a step is scheduled
     * @throws IllegalStateException if an operation is in flight
     */
    public void release() {
        inner.requireNotBusy("release");
        requireIdleToApply();
        inner.clearBlocks();
        events.emit(new SequenceEvent.Released());
    }

    /**
     * Holds again every complete block of a released sequence, as {@link RequestSequence#reacquire} does; the next
     * {@link #scheduleDecode} allocates the generation block. Emits {@link SequenceEvent.Reacquired}, then whether it
     * succeeded; on {@code false} nothing is held and the sequence stays idle.
     *
     * <p>Fails with {@link ApplyException} {@link ApplyException.Kind#WRONG_STATE} if a step is scheduled, with
     * {@link IllegalStateException} if the sequence holds blocks, and with
     * {@link io.kvbm.manager.ManagerClosedException}. Runs to completion once subscribed.
     *
     * @param manager the manager to reacquire from
     * @return a lazy {@link Mono} of whether every complete block is held again
     * @throws NullPointerException if {@code manager} is null
     * @throws IllegalArgumentException if the manager's block size differs from the sequence's
     */
    public Mono<Boolean> reacquire(BlockManager manager) {
        inner.checkManager(manager);
        return inner.run("reacquire", () -> {
            requireIdleToApply();
            return inner.reacquireBlocks(manager).map(success -> {
                events.emit(new SequenceEvent.Reacquired(inner.prefixMatchedBlocks(), success));
                return success;
            });
        });
    }

    /**
     * Appends tokens without computing their KV: each one dangles. Used to seed the first token of a request without
     * a prompt, for example; a decode step then needs exactly one dangling token. No event.
     *
     * @param tokens the tokens; copied
     * @throws NullPointerException if {@code tokens} is null
     * @throws IllegalArgumentException if there are more tokens than {@link #remainingTokens()} (kvbm panics)
     * @throws ApplyException of kind {@link ApplyException.Kind#WRONG_STATE} if a step is scheduled
     * @throws IllegalStateException if an operation is in flight
     */
    public void appendTokens(int... tokens) {
        Objects.requireNonNull(tokens, "tokens");
        inner.requireNotBusy("appendTokens");
        requireIdleToApply();
        if (tokens.length > inner.remainingTokens()) {
            throw new IllegalArgumentException("appendTokens got " + tokens.length
                    + " tokens, more than the remaining output budget of " + inner.remainingTokens());
        }
        inner.appendGenerated(tokens.clone());
    }

    /**
     * Gives every block back whatever the state, abandoning a scheduled step, without emitting an event: what
     * dropping the sequence does in kvbm. The sequence is idle afterwards and stays usable. Idempotent.
     *
     * @throws IllegalStateException if an operation is in flight
     */
    @Override
    public void close() {
        inner.release();
        state = SequenceState.IDLE;
    }

    // ---------------------------------------------------------------------------------------------------------
    // accessors

    /**
     * Returns a stream of this sequence's events.
     *
     * <p>Hot, multicast, never completes. Each subscriber first receives the {@link SequenceEvent.Created} event,
     * then every event emitted after it subscribed, in order; events emitted before are not replayed. Each subscriber
     * has an unbounded buffer: one that does not request delays only itself and loses nothing. Events are delivered
     * on the thread that performs the transition, after the {@link SequenceDelegate}.
     *
     * @return a {@link Flux} of events
     */
    public Flux<SequenceEvent> events() {
        return events.flux();
    }

    /**
     * Returns the delegate that receives every event.
     *
     * @return the delegate, {@link SequenceDelegate#noop()} unless the builder was given one
     */
    public SequenceDelegate delegate() {
        return events.delegate();
    }

    /**
     * Returns the scheduling state.
     *
     * @return the state
     */
    public SequenceState state() {
        return state;
    }

    /**
     * Returns the number of prompt tokens processed by prefill (or found cached).
     *
     * @return the prefill position
     */
    public int prefillPosition() {
        return prefillPosition;
    }

    /**
     * Returns the number of tokens whose KV is computed.
     *
     * @return the KV position
     */
    public int kvPosition() {
        return kvPosition;
    }

    /**
     * Returns whether every prompt token is processed; true at once for an empty prompt.
     *
     * @return {@code prefillPosition() >= numInputTokens()}
     */
    public boolean isPrefillComplete() {
        return prefillPosition >= inner.numInputTokens();
    }

    /**
     * Returns the number of dangling tokens, whose KV is not computed yet.
     *
     * @return {@code max(0, totalTokens() - kvPosition())}
     */
    public int tailTokens() {
        return Math.max(0, inner.totalTokens() - kvPosition);
    }

    /**
     * Returns the number of tokens generated so far.
     *
     * @return the count
     */
    public int generatedTokens() {
        return inner.generatedTokens();
    }

    /**
     * Returns the output budget.
     *
     * @return the most tokens the request may generate
     */
    public int maxOutputTokens() {
        return inner.maxOutputTokens();
    }

    /**
     * Returns the prompt length.
     *
     * @return the input tokens
     */
    public int numInputTokens() {
        return inner.numInputTokens();
    }

    /**
     * Returns the number of tokens, prompt and generated.
     *
     * @return the token count
     */
    public int totalTokens() {
        return inner.totalTokens();
    }

    /**
     * Returns how many more tokens may be generated.
     *
     * @return the remaining output budget
     */
    public int remainingTokens() {
        return inner.remainingTokens();
    }

    /**
     * Returns whether the output budget is used up.
     *
     * @return {@code generatedTokens() >= maxOutputTokens()}
     */
    public boolean isComplete() {
        return inner.isComplete();
    }

    /**
     * Returns the number of complete token blocks.
     *
     * @return {@code totalTokens() / blockSize()}
     */
    public int numBlocks() {
        return inner.numBlocks();
    }

    /**
     * Returns the number of assigned (registered) blocks held.
     *
     * @return the count
     */
    public int assignedBlocks() {
        return inner.assignedBlocks();
    }

    /**
     * Returns the number of staged blocks held.
     *
     * @return the count
     */
    public int stagedBlocks() {
        return inner.stagedBlocks();
    }

    /**
     * Returns the number of unassigned blocks held.
     *
     * @return the count
     */
    public int unassignedBlocks() {
        return inner.unassignedBlocks();
    }

    /**
     * Returns the number of blocks the last prefix match found cached.
     *
     * @return the count
     */
    public int prefixMatchedBlocks() {
        return inner.prefixMatchedBlocks();
    }

    /**
     * Returns the number of tokens per block.
     *
     * @return the block size
     */
    public int blockSize() {
        return inner.blockSize();
    }

    /**
     * Returns the ids of every held block, assigned then staged then unassigned: the request's KV page indices.
     *
     * @return a new array
     */
    public int[] pageIndices() {
        return inner.pageIndices();
    }

    /**
     * Returns the sequence hash of every complete block, in position order.
     *
     * @return an unmodifiable snapshot
     */
    public List<SequenceHash> sequenceHashes() {
        return inner.sequenceHashes();
    }

    /**
     * Returns the state, positions and counts.
     *
     * @return e.g. {@code "SchedulableSequence[Idle, prefill=8, kv=8, tail=1, RequestSequence[...]]"}
     */
    @Override
    public String toString() {
        return "SchedulableSequence[" + state + ", prefill=" + prefillPosition + ", kv=" + kvPosition + ", tail="
                + tailTokens() + ", " + inner + "]";
    }

    // ---------------------------------------------------------------------------------------------------------

    private Mono<SequenceState> prefill(int numTokens, BlockManager manager, @Nullable Duration maxWait) {
        requireIdleToSchedule();
        if (isPrefillComplete()) {
            throw ScheduleException.prefillComplete();
        }
        int end = prefillPosition + numTokens;
        if (numTokens > inner.numInputTokens() - prefillPosition) {
            throw ScheduleException.prefillOverrun(prefillPosition, numTokens, inner.numInputTokens());
        }
        int toAllocate = Math.max(0, end / inner.blockSize() - inner.heldBlocks());
        return allocate(toAllocate, manager, maxWait).map(x -> {
            state = SequenceState.prefillScheduled(numTokens, toAllocate);
            events.emit(new SequenceEvent.PrefillScheduled(numTokens, toAllocate));
            return state;
        });
    }

    private Mono<Void> prefillApplied(OptionalInt token, BlockManager manager) {
        if (state.kind() != SequenceState.Kind.PREFILL_SCHEDULED) {
            throw ApplyException.wrongState("PrefillScheduled", state);
        }
        int numTokens = state.numTokens();
        int end = prefillPosition + numTokens;
        boolean isFinal = end >= inner.numInputTokens();
        if (token.isPresent() && !isFinal) {
            throw ApplyException.tokenOnNonFinalChunk(end, inner.numInputTokens());
        }
        if (isFinal && token.isEmpty() && inner.maxOutputTokens() > 0) {
            throw ApplyException.missingTokenOnFinalChunk(inner.maxOutputTokens());
        }
        if (token.isPresent() && inner.isComplete()) {
            throw new IllegalStateException("cannot generate more tokens: " + inner.generatedTokens()
                    + " generated, maxOutputTokens is " + inner.maxOutputTokens()
                    + " (apply the final chunk without a token)");
        }
        int assignedBefore = inner.assignedBlocks();
        return inner.completeAndRegister(manager)
                .map(registered -> {
                    prefillPosition = end;
                    kvPosition = end;
                    token.ifPresent(inner::append);
                    state = SequenceState.IDLE;
                    events.emit(new SequenceEvent.PrefillApplied(
                            numTokens, inner.assignedBlocks() - assignedBefore, token.isPresent()));
                    return registered;
                })
                .then();
    }

    private Mono<SequenceState> decode(BlockManager manager, @Nullable Duration maxWait) {
        requireIdleToSchedule();
        requireDecodable();
        int pending = inner.numBlocks() - (inner.assignedBlocks() + inner.stagedBlocks());
        int toAllocate = Math.max(0, pending + 1 - inner.unassignedBlocks());
        return allocate(toAllocate, manager, maxWait).map(x -> {
            state = SequenceState.decodeScheduled(toAllocate);
            events.emit(new SequenceEvent.DecodeScheduled(toAllocate));
            return state;
        });
    }

    private Mono<DecodeOutcome> decodeApplied(int token, BlockManager manager) {
        if (state.kind() != SequenceState.Kind.DECODE_SCHEDULED) {
            throw ApplyException.wrongState("DecodeScheduled", state);
        }
        boolean blockCompleted = inner.append(token).isPresent();
        return inner.completeAndRegister(manager).map(registered -> {
            kvPosition += 1;
            state = SequenceState.IDLE;
            events.emit(new SequenceEvent.DecodeApplied(token, blockCompleted));
            return DecodeOutcome.of(blockCompleted, inner.isComplete());
        });
    }

    private Mono<SequenceState> speculate(int numTokens, BlockManager manager, @Nullable Duration maxWait) {
        requireIdleToSchedule();
        requireDecodable();
        int budget = Math.min(numTokens, inner.remainingTokens());
        long tokensAfter = (long) inner.totalTokens() + budget;
        long blocksNeeded = (tokensAfter + inner.blockSize() - 1) / inner.blockSize();
        int toAllocate = (int) Math.max(0L, blocksNeeded - inner.heldBlocks());
        return allocate(toAllocate, manager, maxWait).map(x -> {
            state = SequenceState.speculativeScheduled(budget, toAllocate);
            events.emit(new SequenceEvent.SpeculativeScheduled(budget, toAllocate));
            return state;
        });
    }

    private Mono<DecodeOutcome> speculativeApplied(int[] accepted, BlockManager manager) {
        if (state.kind() != SequenceState.Kind.SPECULATIVE_SCHEDULED) {
            throw ApplyException.wrongState("SpeculativeScheduled", state);
        }
        int scheduled = state.numTokens();
        if (accepted.length > scheduled) {
            throw ApplyException.acceptedExceedsScheduled(accepted.length, scheduled);
        }
        boolean blockCompleted = inner.appendGenerated(accepted).isPresent();
        return inner.completeAndRegister(manager).map(registered -> {
            kvPosition += accepted.length;
            int keep = inner.isComplete() ? 0 : 1;
            int released = inner.dropLastUnassigned(inner.unassignedBlocks() - keep);
            state = SequenceState.IDLE;
            events.emit(new SequenceEvent.SpeculativeApplied(accepted.length, scheduled, released));
            return DecodeOutcome.of(blockCompleted, inner.isComplete());
        });
    }

    /** Allocates {@code count} blocks into the sequence or fails with ALLOCATION_FAILED; emits true. */
    private Mono<Boolean> allocate(int count, BlockManager manager, @Nullable Duration maxWait) {
        return inner.allocate(count, manager, maxWait)
                .onErrorMap(RequestSequence::isShortage, e -> ScheduleException.allocationFailed(count, e))
                .map(ok -> {
                    if (!ok) {
                        throw ScheduleException.allocationFailed(count, null);
                    }
                    return true;
                });
    }

    private void requireIdleToSchedule() {
        if (!state.isIdle()) {
            throw ScheduleException.notIdle(state);
        }
    }

    private void requireIdleToApply() {
        if (!state.isIdle()) {
            throw ApplyException.wrongState("Idle", state);
        }
    }

    private void requireDecodable() {
        if (!isPrefillComplete()) {
            throw ScheduleException.prefillNotComplete(prefillPosition, inner.numInputTokens());
        }
        if (inner.isComplete()) {
            throw ScheduleException.generationComplete(inner.generatedTokens(), inner.maxOutputTokens());
        }
        int tail = tailTokens();
        if (tail != 1) {
            throw ScheduleException.wrongDanglingCount(1, tail);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Builds a {@link SchedulableSequence}. Setters validate their argument at once; {@link #build()} checks that the
     * required ones were called. Not thread-safe.
     */
    public static final class Builder {

        private int @Nullable [] tokens;
        private int maxOutputTokens = -1;
        private int blockSize = -1;
        private SequenceDelegate delegate = SequenceDelegate.noop();

        private Builder() {}

        /**
         * Sets the prompt. Required; may be empty (then {@link SchedulableSequence#appendTokens} seeds the first
         * token).
         *
         * @param tokens the prompt; copied
         * @return this builder
         * @throws NullPointerException if {@code tokens} is null
         */
        public Builder tokens(int[] tokens) {
            this.tokens = Objects.requireNonNull(tokens, "tokens").clone();
            return this;
        }

        /**
         * Sets the output budget. Required.
         *
         * @param maxOutputTokens at least 0; 0 for a prefill-only request
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxOutputTokens(int maxOutputTokens) {
            if (maxOutputTokens < 0) {
                throw new IllegalArgumentException("maxOutputTokens must be >= 0, got " + maxOutputTokens);
            }
            this.maxOutputTokens = maxOutputTokens;
            return this;
        }

        /**
         * Sets the tokens per block. Required; MUST equal the block size of the manager the sequence is used with.
         *
         * @param blockSize positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder blockSize(int blockSize) {
            if (blockSize <= 0) {
                throw new IllegalArgumentException("blockSize must be positive, got " + blockSize);
            }
            this.blockSize = blockSize;
            return this;
        }

        /**
         * Sets the listener of every transition. Default {@link SequenceDelegate#noop()}.
         *
         * @param delegate the delegate
         * @return this builder
         */
        public Builder delegate(SequenceDelegate delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
            return this;
        }

        /**
         * Builds the sequence and reports {@link SequenceEvent.Created} to the delegate. Nothing is allocated.
         *
         * @return a new idle sequence
         * @throws IllegalArgumentException if {@link #tokens}, {@link #maxOutputTokens} or {@link #blockSize} was not
         *     called, naming the first missing one
         */
        public SchedulableSequence build() {
            int[] prompt = tokens;
            if (prompt == null) {
                throw new IllegalArgumentException("tokens is required: call tokens(int[])");
            }
            if (maxOutputTokens < 0) {
                throw new IllegalArgumentException("maxOutputTokens is required: call maxOutputTokens(int)");
            }
            if (blockSize < 0) {
                throw new IllegalArgumentException("blockSize is required: call blockSize(int)");
            }
            SequenceEvent.Created created = new SequenceEvent.Created(prompt.length, maxOutputTokens, blockSize);
            SchedulableSequence sequence = new SchedulableSequence(
                    new RequestSequence(prompt, maxOutputTokens, blockSize), new SequenceEvents(delegate, created));
            sequence.events.emit(created);
            return sequence;
        }
    }
}
