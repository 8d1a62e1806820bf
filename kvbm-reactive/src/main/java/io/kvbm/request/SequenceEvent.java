package io.kvbm.request;

/**
 * One transition of a {@link SchedulableSequence}, as reported to its {@link SequenceDelegate} and its
 * {@link SchedulableSequence#events() events()} stream (kvbm's {@code SequenceEvent}).
 *
 * <p>The events of a sequence form an append-only record of its lifecycle, in call order. A prefill, two decode steps
 * and a release give: {@link Created}, {@link PrefillScheduled}, {@link PrefillApplied}, {@link DecodeScheduled},
 * {@link DecodeApplied}, {@link DecodeScheduled}, {@link DecodeApplied}, {@link Released}.
 *
 * <p>Events are values. Branch on {@link #kind()} in a {@code switch} statement, or use {@code instanceof} patterns
 * (pattern-matching {@code switch} is not final on Java 17).
 */
public sealed interface SequenceEvent {

    /** The kind of each event, one per record. */
    enum Kind {
        /** See {@link Created}. */
        CREATED,
        /** See {@link PrefixMatched}. */
        PREFIX_MATCHED,
        /** See {@link PrefillScheduled}. */
        PREFILL_SCHEDULED,
        /** See {@link PrefillApplied}. */
        PREFILL_APPLIED,
        /** See {@link DecodeScheduled}. */
        DECODE_SCHEDULED,
        /** See {@link DecodeApplied}. */
        DECODE_APPLIED,
        /** See {@link SpeculativeScheduled}. */
        SPECULATIVE_SCHEDULED,
        /** See {@link SpeculativeApplied}. */
        SPECULATIVE_APPLIED,
        /** See {@link ScheduleReverted}. */
        SCHEDULE_REVERTED,
        /** See {@link UnassignedDropped}. */
        UNASSIGNED_DROPPED,
        /** See {@link Released}. */
        RELEASED,
        /** See {@link Reacquired}. */
        REACQUIRED
    }

    /**
     * Returns the kind of this event.
     *
     * @return the kind
     */
    Kind kind();

    /**
     * The sequence was built; emitted once, by {@link SchedulableSequence.Builder#build()}.
     *
     * @param numInputTokens the prompt length
     * @param maxOutputTokens the output budget
     * @param blockSize the tokens per block
     */
    record Created(int numInputTokens, int maxOutputTokens, int blockSize) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.CREATED;
        }
    }

    /**
     * {@link SchedulableSequence#matchAndAddPrefix} ran; emitted even when nothing matched.
     *
     * @param blocksMatched the cached prefix blocks now assigned
     */
    record PrefixMatched(int blocksMatched) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.PREFIX_MATCHED;
        }
    }

    /**
     * A prefill chunk was scheduled.
     *
     * @param numTokens the chunk size
     * @param blocksAllocated the blocks allocated for it
     */
    record PrefillScheduled(int numTokens, int blocksAllocated) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.PREFILL_SCHEDULED;
        }
    }

    /**
     * A prefill chunk was applied.
     *
     * @param numTokens the chunk size
     * @param blocksRegistered the blocks registered by this apply
     * @param tokenEmitted whether the final chunk brought the first generated token
     */
    record PrefillApplied(int numTokens, int blocksRegistered, boolean tokenEmitted) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.PREFILL_APPLIED;
        }
    }

    /**
     * A decode step was scheduled.
     *
     * @param blocksAllocated the blocks allocated for it (pending completions plus the generation block)
     */
    record DecodeScheduled(int blocksAllocated) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.DECODE_SCHEDULED;
        }
    }

    /**
     * A decode step was applied.
     *
     * @param token the generated token
     * @param blockCompleted whether it completed a block
     */
    record DecodeApplied(int token, boolean blockCompleted) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.DECODE_APPLIED;
        }
    }

    /**
     * A speculative step was scheduled.
     *
     * @param numTokens the speculative budget after clamping to the remaining output budget
     * @param blocksAllocated the blocks allocated for it
     */
    record SpeculativeScheduled(int numTokens, int blocksAllocated) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.SPECULATIVE_SCHEDULED;
        }
    }

    /**
     * A speculative step was applied.
     *
     * @param accepted the tokens accepted
     * @param scheduled the budget that was scheduled
     * @param blocksReleased the excess unassigned blocks given back
     */
    record SpeculativeApplied(int accepted, int scheduled, int blocksReleased) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.SPECULATIVE_APPLIED;
        }
    }

    /**
     * A scheduled step was reverted.
     *
     * @param blocksReleased the blocks the schedule call had allocated, given back
     */
    record ScheduleReverted(int blocksReleased) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.SCHEDULE_REVERTED;
        }
    }

    /**
     * Unassigned blocks were dropped by {@link SchedulableSequence#dropUnassigned(int)}; not emitted when none was.
     *
     * @param count the blocks dropped
     */
    record UnassignedDropped(int count) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.UNASSIGNED_DROPPED;
        }
    }

    /** Every block was released by {@link SchedulableSequence#release()}. */
    record Released() implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.RELEASED;
        }
    }

    /**
     * {@link SchedulableSequence#reacquire} ran.
     *
     * @param prefixMatched the blocks found cached
     * @param success whether every complete block is held again
     */
    record Reacquired(int prefixMatched, boolean success) implements SequenceEvent {
        @Override
        public Kind kind() {
            return Kind.REACQUIRED;
        }
    }
}
