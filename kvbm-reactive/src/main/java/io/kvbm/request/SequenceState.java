package io.kvbm.request;

import java.util.Objects;

/**
 * The scheduling state of a {@link SchedulableSequence}: idle, or one step scheduled and waiting to be applied
 * (kvbm's {@code SequenceState}).
 *
 * <pre>
 *          schedulePrefill            applyPrefill
 *   IDLE ──────────────────► PREFILL_SCHEDULED ──────────► IDLE
 *     │    scheduleDecode              applyDecode
 *     ├──────────────────► DECODE_SCHEDULED ───────────► IDLE
 *     │    scheduleSpeculative         applySpeculative
 *     └──────────────────► SPECULATIVE_SCHEDULED ──────► IDLE
 *              any *_SCHEDULED ── revertSchedule ──► IDLE
 * </pre>
 *
 * <p>A value. A scheduled state remembers what was scheduled: the tokens of the step ({@link #numTokens()}, 0 for a
 * decode step, which is always one token) and the blocks allocated for it ({@link #blocksAllocated()}), which
 * {@link SchedulableSequence#revertSchedule()} gives back.
 *
 * @param kind the state
 * @param numTokens the tokens scheduled: the prefill chunk or the speculative budget; 0 when idle or decoding
 * @param blocksAllocated the blocks allocated by the schedule call; 0 when idle
 */
public record SequenceState(Kind kind, int numTokens, int blocksAllocated) {

    /** The states of the machine. */
    public enum Kind {
        /** No step is scheduled; every operation that starts a step, and release/reacquire, require it. */
        IDLE,
        /** A prefill chunk is scheduled; {@code applyPrefill} ends it. */
        PREFILL_SCHEDULED,
        /** One decode token is scheduled; {@code applyDecode} ends it. */
        DECODE_SCHEDULED,
        /** Up to {@code numTokens} speculative tokens are scheduled; {@code applySpeculative} ends it. */
        SPECULATIVE_SCHEDULED
    }

    /** The idle state. */
    public static final SequenceState IDLE = new SequenceState(Kind.IDLE, 0, 0);

    /**
     * Validates the state.
     *
     * @param kind the state
     * @param numTokens the tokens scheduled
     * @param blocksAllocated the blocks allocated
     * @throws NullPointerException if {@code kind} is null
     * @throws IllegalArgumentException if a count is negative, an idle state has counts, or a decode state has tokens
     */
    public SequenceState {
        Objects.requireNonNull(kind, "kind");
        if (numTokens < 0 || blocksAllocated < 0) {
            throw new IllegalArgumentException(
                    "numTokens and blocksAllocated must be >= 0, got " + numTokens + " and " + blocksAllocated);
        }
        if (kind == Kind.IDLE && (numTokens != 0 || blocksAllocated != 0)) {
            throw new IllegalArgumentException("an IDLE state carries no counts, got numTokens " + numTokens
                    + " and blocksAllocated " + blocksAllocated);
        }
        if (kind == Kind.DECODE_SCHEDULED && numTokens != 0) {
            throw new IllegalArgumentException("a DECODE_SCHEDULED state carries no numTokens, got " + numTokens);
        }
    }

    /**
     * Returns a prefill step of {@code numTokens} tokens for which {@code blocksAllocated} blocks were allocated.
     *
     * @param numTokens the chunk size
     * @param blocksAllocated the blocks allocated for it
     * @return the state
     */
    public static SequenceState prefillScheduled(int numTokens, int blocksAllocated) {
        return new SequenceState(Kind.PREFILL_SCHEDULED, numTokens, blocksAllocated);
    }

    /**
     * Returns a decode step for which {@code blocksAllocated} blocks were allocated.
     *
     * @param blocksAllocated the blocks allocated for it
     * @return the state
     */
    public static SequenceState decodeScheduled(int blocksAllocated) {
        return new SequenceState(Kind.DECODE_SCHEDULED, 0, blocksAllocated);
    }

    /**
     * Returns a speculative step of up to {@code numTokens} tokens for which {@code blocksAllocated} blocks were
     * allocated.
     *
     * @param numTokens the speculative budget after clamping
     * @param blocksAllocated the blocks allocated for it
     * @return the state
     */
    public static SequenceState speculativeScheduled(int numTokens, int blocksAllocated) {
        return new SequenceState(Kind.SPECULATIVE_SCHEDULED, numTokens, blocksAllocated);
    }

    /**
     * Returns whether no step is scheduled.
     *
     * @return {@code kind() == IDLE}
     */
    public boolean isIdle() {
        return kind == Kind.IDLE;
    }

    /**
     * Returns the state in kvbm's debug form.
     *
     * @return e.g. {@code "Idle"}, {@code "PrefillScheduled{numTokens=8, blocksAllocated=2}"},
     *     {@code "DecodeScheduled{blocksAllocated=1}"}
     */
    @Override
    public String toString() {
        switch (kind) {
            case IDLE:
                return "Idle";
            case PREFILL_SCHEDULED:
                return "PrefillScheduled{numTokens=" + numTokens + ", blocksAllocated=" + blocksAllocated + "}";
            case DECODE_SCHEDULED:
                return "DecodeScheduled{blocksAllocated=" + blocksAllocated + "}";
            case SPECULATIVE_SCHEDULED:
                return "SpeculativeScheduled{numTokens=" + numTokens + ", blocksAllocated=" + blocksAllocated + "}";
            default:
                throw new AssertionError(kind);
        }
    }
}
