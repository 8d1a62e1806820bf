package io.kvbm.request;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Signalled when a {@link SchedulableSequence} cannot schedule a step, or cannot match its prefix (kvbm's
 * {@code ScheduleError}).
 *
 * <p>The sequence is unchanged: checks precede every change, and an allocation that fails takes nothing, so the
 * sequence stays {@link SequenceState.Kind#IDLE} and holds what it held before. The {@link #kind()} says which rule
 * was broken; each kind carries the values listed on it, read through the accessors. An accessor that the kind does
 * not carry throws {@link IllegalStateException}.
 */
public final class ScheduleException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The rule that was broken. */
    public enum Kind {
        /** A step is already scheduled. Carries {@link #state()}. */
        NOT_IDLE,
        /**
         * The chunk would run past the prompt. Carries {@link #position()} (the prefill position),
         * {@link #numTokens()} (the chunk) and {@link #numInputTokens()}.
         */
        PREFILL_OVERRUN,
        /** Every prompt token has been prefilled already; no field. */
        PREFILL_COMPLETE,
        /**
         * Decoding needs the prompt prefilled first. Carries {@link #position()} (the prefill position) and
         * {@link #numInputTokens()}.
         */
        PREFILL_NOT_COMPLETE,
        /**
         * The blocks the step needs could not be allocated (none free now, or not within the given wait). Carries
         * {@link #needed()}; the cause, if any, is the manager's timeout or pending-limit exception.
         */
        ALLOCATION_FAILED,
        /** The output budget is used up. Carries {@link #generated()} and {@link #maxOutput()}. */
        GENERATION_COMPLETE,
        /**
         * Decoding needs exactly one token whose KV is not computed yet (the last generated token). Carries
         * {@link #expected()} (always 1) and {@link #actual()}.
         */
        WRONG_DANGLING_COUNT
    }

    private final Kind kind;
    private final transient @Nullable SequenceState state;
    private final int position;
    private final int numTokens;
    private final int numInputTokens;
    private final int needed;
    private final int generated;
    private final int maxOutput;
    private final int expected;
    private final int actual;

    private ScheduleException(
            Kind kind,
            String message,
            @Nullable SequenceState state,
            int position,
            int numTokens,
            int numInputTokens,
            int needed,
            int generated,
            int maxOutput,
            int expected,
            int actual,
            @Nullable Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.state = state;
        this.position = position;
        this.numTokens = numTokens;
        this.numInputTokens = numInputTokens;
        this.needed = needed;
        this.generated = generated;
        this.maxOutput = maxOutput;
        this.expected = expected;
        this.actual = actual;
    }

    static ScheduleException notIdle(SequenceState state) {
        return new ScheduleException(
                Kind.NOT_IDLE,
                "the sequence must be Idle to schedule, but is " + state + ": apply or revert the scheduled step first",
                Objects.requireNonNull(state, "state"),
                -1,
                -1,
                -1,
                -1,
                -1,
                -1,
                -1,
                -1,
                null);
    }

    static ScheduleException prefillOverrun(int position, int numTokens, int numInputTokens) {
        return new ScheduleException(
                Kind.PREFILL_OVERRUN,
                "a prefill chunk of " + numTokens + " tokens at position " + position + " would pass the "
                        + numInputTokens + " input tokens",
                null,
                position,
                numTokens,
                numInputTokens,
                -1,
                -1,
                -1,
                -1,
                -1,
                null);
    }

    static ScheduleException prefillComplete() {
        return new ScheduleException(
                Kind.PREFILL_COMPLETE,
                "every input token is prefilled already: schedule decode steps instead",
                null,
                -1,
                -1,
                -1,
                -1,
                -1,
                -1,
                -1,
                -1,
                null);
    }

    static ScheduleException prefillNotComplete(int position, int numInputTokens) {
        return new ScheduleException(
                Kind.PREFILL_NOT_COMPLETE,
                "decoding needs the prompt prefilled, but only " + position + " of " + numInputTokens
                        + " input tokens are",
                null,
                position,
                -1,
                numInputTokens,
                -1,
                -1,
                -1,
                -1,
                -1,
                null);
    }

    static ScheduleException allocationFailed(int needed, @Nullable Throwable cause) {
        return new ScheduleException(
                Kind.ALLOCATION_FAILED,
                "could not allocate the " + needed + " block(s) the step needs"
                        + (cause == null ? " (not free now)" : ": " + cause.getMessage()),
                null,
                -1,
                -1,
                -1,
                needed,
                -1,
                -1,
                -1,
                -1,
                cause);
    }

    static ScheduleException generationComplete(int generated, int maxOutput) {
        return new ScheduleException(
                Kind.GENERATION_COMPLETE,
                "the output budget is used up: " + generated + " of maxOutputTokens " + maxOutput + " tokens generated",
                null,
                -1,
                -1,
                -1,
                -1,
                generated,
                maxOutput,
                -1,
                -1,
                null);
    }

    static ScheduleException wrongDanglingCount(int expected, int actual) {
        return new ScheduleException(
                Kind.WRONG_DANGLING_COUNT,
                "decoding needs exactly " + expected + " token(s) whose KV is not computed yet, but the sequence has "
                        + actual + (actual == 0 ? ": append the first token with appendTokens" : ""),
                null,
                -1,
                -1,
                -1,
                -1,
                -1,
                -1,
                expected,
                actual,
                null);
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
     * Returns the state the sequence was in.
     *
     * @return the state
     * @throws IllegalStateException unless the kind is {@link Kind#NOT_IDLE}
     */
    public SequenceState state() {
        require("state", Kind.NOT_IDLE, Kind.NOT_IDLE);
        return Objects.requireNonNull(state, "state (lost in serialization)");
    }

    /**
     * Returns the prefill position (input tokens already processed).
     *
     * @return the position
     * @throws IllegalStateException unless the kind is {@link Kind#PREFILL_OVERRUN} or
     *     {@link Kind#PREFILL_NOT_COMPLETE}
     */
    public int position() {
        require("position", Kind.PREFILL_OVERRUN, Kind.PREFILL_NOT_COMPLETE);
        return position;
    }

    /**
     * Returns the size of the refused prefill chunk.
     *
     * @return the tokens
     * @throws IllegalStateException unless the kind is {@link Kind#PREFILL_OVERRUN}
     */
    public int numTokens() {
        require("numTokens", Kind.PREFILL_OVERRUN, Kind.PREFILL_OVERRUN);
        return numTokens;
    }

    /**
     * Returns the prompt length.
     *
     * @return the input tokens
     * @throws IllegalStateException unless the kind is {@link Kind#PREFILL_OVERRUN} or
     *     {@link Kind#PREFILL_NOT_COMPLETE}
     */
    public int numInputTokens() {
        require("numInputTokens", Kind.PREFILL_OVERRUN, Kind.PREFILL_NOT_COMPLETE);
        return numInputTokens;
    }

    /**
     * Returns the number of blocks the failed allocation asked for.
     *
     * @return the blocks
     * @throws IllegalStateException unless the kind is {@link Kind#ALLOCATION_FAILED}
     */
    public int needed() {
        require("needed", Kind.ALLOCATION_FAILED, Kind.ALLOCATION_FAILED);
        return needed;
    }

    /**
     * Returns the tokens generated so far.
     *
     * @return the count
     * @throws IllegalStateException unless the kind is {@link Kind#GENERATION_COMPLETE}
     */
    public int generated() {
        require("generated", Kind.GENERATION_COMPLETE, Kind.GENERATION_COMPLETE);
        return generated;
    }

    /**
     * Returns the output budget.
     *
     * @return the maximum output tokens
     * @throws IllegalStateException unless the kind is {@link Kind#GENERATION_COMPLETE}
     */
    public int maxOutput() {
        require("maxOutput", Kind.GENERATION_COMPLETE, Kind.GENERATION_COMPLETE);
        return maxOutput;
    }

    /**
     * Returns the number of tokens without computed KV that decoding needs (1).
     *
     * @return the expected count
     * @throws IllegalStateException unless the kind is {@link Kind#WRONG_DANGLING_COUNT}
     */
    public int expected() {
        require("expected", Kind.WRONG_DANGLING_COUNT, Kind.WRONG_DANGLING_COUNT);
        return expected;
    }

    /**
     * Returns the number of tokens without computed KV the sequence has.
     *
     * @return the actual count
     * @throws IllegalStateException unless the kind is {@link Kind#WRONG_DANGLING_COUNT}
     */
    public int actual() {
        require("actual", Kind.WRONG_DANGLING_COUNT, Kind.WRONG_DANGLING_COUNT);
        return actual;
    }

    private void require(String field, Kind a, Kind b) {
        if (kind != a && kind != b) {
            throw new IllegalStateException(field + " is not carried by a " + kind + " error");
        }
    }
}
