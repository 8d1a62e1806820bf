package io.kvbm.request;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Thrown or signalled when a {@link SchedulableSequence} refuses to apply, revert, release, reacquire or append
 * (kvbm's {@code ApplyError}).
 *
 * <p>The sequence is unchanged: the checks run before any change. The {@link #kind()} says which rule was broken;
 * each kind carries the values listed on it. An accessor that the kind does not carry throws
 * {@link IllegalStateException}.
 */
public final class ApplyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The rule that was broken. */
    public enum Kind {
        /**
         * The operation needs another state. Carries {@link #expectedState()} (one of {@code "PrefillScheduled"},
         * {@code "DecodeScheduled"}, {@code "SpeculativeScheduled"}, {@code "any Scheduled state"}, {@code "Idle"})
         * and {@link #actualState()}.
         */
        WRONG_STATE,
        /** A token was given with a prefill chunk that is not the last one; no field. */
        TOKEN_ON_NON_FINAL_CHUNK,
        /** More tokens were accepted than scheduled. Carries {@link #accepted()} and {@link #scheduled()}. */
        ACCEPTED_EXCEEDS_SCHEDULED,
        /** The last prefill chunk came without the first generated token although tokens may be generated; no field. */
        MISSING_TOKEN_ON_FINAL_CHUNK
    }

    private final Kind kind;
    private final @Nullable String expectedState;
    private final transient @Nullable SequenceState actualState;
    private final int accepted;
    private final int scheduled;

    private ApplyException(
            Kind kind,
            String message,
            @Nullable String expectedState,
            @Nullable SequenceState actualState,
            int accepted,
            int scheduled) {
        super(message);
        this.kind = kind;
        this.expectedState = expectedState;
        this.actualState = actualState;
        this.accepted = accepted;
        this.scheduled = scheduled;
    }

    static ApplyException wrongState(String expected, SequenceState actual) {
        return new ApplyException(
                Kind.WRONG_STATE,
                "the sequence must be " + expected + " for this operation, but is " + actual,
                Objects.requireNonNull(expected, "expected"),
                Objects.requireNonNull(actual, "actual"),
                -1,
                -1);
    }

    static ApplyException tokenOnNonFinalChunk(int position, int numInputTokens) {
        return new ApplyException(
                Kind.TOKEN_ON_NON_FINAL_CHUNK,
                "a token was given with a prefill chunk that ends at " + position + " of " + numInputTokens
                        + " input tokens: only the final chunk brings the first generated token",
                null,
                null,
                -1,
                -1);
    }

    static ApplyException acceptedExceedsScheduled(int accepted, int scheduled) {
        return new ApplyException(
                Kind.ACCEPTED_EXCEEDS_SCHEDULED,
                accepted + " tokens were accepted but only " + scheduled + " were scheduled: revert the step instead",
                null,
                null,
                accepted,
                scheduled);
    }

    static ApplyException missingTokenOnFinalChunk(int maxOutputTokens) {
        return new ApplyException(
                Kind.MISSING_TOKEN_ON_FINAL_CHUNK,
                "the final prefill chunk needs the first generated token (maxOutputTokens is " + maxOutputTokens + ")",
                null,
                null,
                -1,
                -1);
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
     * Returns the state the operation needs, in kvbm's words.
     *
     * @return e.g. {@code "DecodeScheduled"} or {@code "any Scheduled state"}
     * @throws IllegalStateException unless the kind is {@link Kind#WRONG_STATE}
     */
    public String expectedState() {
        require("expectedState", Kind.WRONG_STATE);
        return Objects.requireNonNull(expectedState, "expectedState");
    }

    /**
     * Returns the state the sequence was in.
     *
     * @return the state
     * @throws IllegalStateException unless the kind is {@link Kind#WRONG_STATE}
     */
    public SequenceState actualState() {
        require("actualState", Kind.WRONG_STATE);
        return Objects.requireNonNull(actualState, "actualState (lost in serialization)");
    }

    /**
     * Returns the number of tokens accepted.
     *
     * @return the count
     * @throws IllegalStateException unless the kind is {@link Kind#ACCEPTED_EXCEEDS_SCHEDULED}
     */
    public int accepted() {
        require("accepted", Kind.ACCEPTED_EXCEEDS_SCHEDULED);
        return accepted;
    }

    /**
     * Returns the number of tokens scheduled.
     *
     * @return the count
     * @throws IllegalStateException unless the kind is {@link Kind#ACCEPTED_EXCEEDS_SCHEDULED}
     */
    public int scheduled() {
        require("scheduled", Kind.ACCEPTED_EXCEEDS_SCHEDULED);
        return scheduled;
    }

    private void require(String field, Kind carrier) {
        if (kind != carrier) {
            throw new IllegalStateException(field + " is not carried by a " + kind + " error");
        }
    }
}
