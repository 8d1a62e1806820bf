/**
 * The request lifecycle on top of a {@link io.kvbm.manager.BlockManager}: a request's tokens, its blocks, and the
 * steps a continuous-batching scheduler takes with them (kvbm's {@code integrations} module).
 *
 * <ul>
 *   <li>{@link io.kvbm.request.RequestSequence}: the low-level, policy-free operations (match the cached prefix,
 *       allocate, stage and register, append tokens, release and reacquire) that a scheduler combines itself.
 *   <li>{@link io.kvbm.request.SchedulableSequence}: the same request behind a two-phase state machine: schedule a
 *       step before the forward pass (allocating all its blocks or none), apply it afterwards with the model's tokens,
 *       or revert it. Prefill (single or chunked), decode and speculative decode.
 *   <li>{@link io.kvbm.request.SequenceState}, {@link io.kvbm.request.DecodeOutcome}: the machine's states and the
 *       result of a decode step.
 *   <li>{@link io.kvbm.request.SequenceEvent}, {@link io.kvbm.request.SequenceDelegate}: every transition, reported
 *       synchronously to a delegate and as a {@link reactor.core.publisher.Flux} by
 *       {@link io.kvbm.request.SchedulableSequence#events()}.
 *   <li>{@link io.kvbm.request.ScheduleException}, {@link io.kvbm.request.ApplyException}: refused steps, each with
 *       a kind and the offending values.
 * </ul>
 *
 * <pre>
 *            schedulePrefill            applyPrefill (first token on the final chunk)
 *   IDLE ───────────────────► PREFILL_SCHEDULED ──────────────────────────────────────► IDLE
 *   IDLE ───scheduleDecode──► DECODE_SCHEDULED ───applyDecode(token) → outcome──────────► IDLE
 *   IDLE ─scheduleSpeculative► SPECULATIVE_SCHEDULED ─applySpeculative(accepted)────────► IDLE
 *   any *_SCHEDULED ──revertSchedule──► IDLE        IDLE ──release──► IDLE ──reacquire──► IDLE
 * </pre>
 *
 * <p><b>Reactive contract.</b> Operations that touch the manager return cold {@link reactor.core.publisher.Mono}s that
 * run through the manager's drain loop and never block a thread; every other operation is synchronous. Errors of a
 * {@code Mono} travel as {@code onError}; invalid arguments throw at once. An operation that never waits runs to
 * completion once subscribed (cancelling drops the signal, never half a step); the variants given a
 * {@code maxWait} stop waiting when cancelled and then take nothing.
 *
 * <p><b>Blocks are never lost.</b> A sequence owns the blocks it holds and gives them all back on {@code release()} or
 * {@code close()}; a failed allocation takes nothing and leaves the sequence idle; guards refused by an operation are
 * closed before the error is signalled.
 *
 * <p><b>Single owner.</b> Sequences are not thread-safe: one request, one thread at a time, one operation at a time
 * (a second operation while one is in flight fails with {@link java.lang.IllegalStateException}).
 *
 * @see io.kvbm.sequence
 */
@NullMarked
package io.kvbm.request;

import org.jspecify.annotations.NullMarked;
