/**
 * Token sequences and the blocks assigned to them: which block holds which position of a request's tokens, on one
 * tier or across tiers (kvbm's {@code sequence} module).
 *
 * <ul>
 *   <li>{@link io.kvbm.sequence.BlockSequence}: a request's tokens cut into hashed blocks; only complete blocks are
 *       visible, {@code extendTokens} and {@code appendToken} report which blocks a call completed.
 *   <li>{@link io.kvbm.sequence.ExternalBlockAssignments}: block <em>ids</em> paired with sequence hashes, at an
 *       offset, without owning blocks; one per tier. {@code zipAssigned} and {@code zipAssignedPending} turn two of
 *       them into a {@link io.kvbm.sequence.BlockTransfer} plan (onboarding G2 → G1, offloading G1 → G2).
 *   <li>{@link io.kvbm.sequence.LogicalBlockAssignments}: the same three phases over the block <em>guards</em> of one
 *       {@link io.kvbm.manager.BlockManager}: {@code MutableBlock → CompleteBlock → ImmutableBlock}.
 * </ul>
 *
 * <p>A block id moves through three ordered phases:
 *
 * <pre>
 *   unassigned ──stage──► staged ──commit / register──► assigned
 *   (allocated, no data)  (data and hash known)        (committed; registered and shareable for guards)
 * </pre>
 *
 * Ids enter unassigned and staged phases in order and leave them oldest first (FIFO), so the {@code i}-th allocated
 * block holds the {@code i}-th position that still needs one; excess unassigned blocks are dropped newest first
 * (LIFO).
 *
 * <p><b>Errors.</b> Mutations validate their whole input before changing anything: a failed call changes nothing.
 * Rule violations of ids and positions are {@link io.kvbm.sequence.BlockSequenceException}s; refused guard batches
 * are {@link io.kvbm.sequence.LogicalBlockAssignmentException}s that hand every guard of the batch back, so no error
 * path leaks a block.
 *
 * <p><b>Threading.</b> Everything here is single-owner and not thread-safe, like the request it belongs to. The one
 * operation that touches a manager, {@link io.kvbm.sequence.LogicalBlockAssignments#register}, returns a
 * {@link reactor.core.publisher.Mono} that runs through the manager's drain loop and never blocks.
 *
 * @see io.kvbm.request
 */
@NullMarked
package io.kvbm.sequence;

import org.jspecify.annotations.NullMarked;
