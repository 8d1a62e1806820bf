package io.kvbm.manager;

/**
 * A snapshot of a manager's counters and pool sizes, named after kvbm's metrics.
 *
 * <p>Each value is read independently: under concurrent use the values may come from slightly different instants, but
 * each is one the manager really had. Counters only grow.
 *
 * @param allocations blocks handed out by allocations (from the reset pool or evicted)
 * @param allocationsFromReset blocks handed out from the reset pool
 * @param evictions cached blocks evicted by allocations (not those dropped by {@code resetInactive})
 * @param registrations blocks passed to {@code register}/{@code registerAll}, including duplicates and rejects
 * @param duplicateBlocks duplicates created under {@link DuplicationPolicy#ALLOW}
 * @param registrationDedup registrations answered with the existing primary under {@link DuplicationPolicy#REJECT}
 * @param stagings Mutable → Complete transitions
 * @param matchHashesRequested hashes passed to {@code match}
 * @param matchBlocksReturned blocks returned by {@code match}
 * @param scanHashesRequested hashes passed to {@code scan}
 * @param scanBlocksReturned blocks returned by {@code scan}
 * @param leakedBlocks guards returned by the leak detector
 * @param inflightMutable slots held as {@code MutableBlock} (staged slots are not counted)
 * @param inflightImmutable open {@code ImmutableBlock} handles
 * @param resetPoolSize blocks in the reset pool
 * @param inactivePoolSize blocks cached in the inactive pool
 * @param pendingAllocations allocations waiting for blocks
 * @param allocateRollbacks allocations undone because the eviction policy's index yielded fewer victims than it
 *     reported (kvbm's {@code allocate_atomic_rollback} audit counter); always 0 with the built-in policies
 * @param eventSubscribersDropped event subscribers terminated with {@code EventStreamOverflowException}
 */
public record BlockManagerStats(
        long allocations,
        long allocationsFromReset,
        long evictions,
        long registrations,
        long duplicateBlocks,
        long registrationDedup,
        long stagings,
        long matchHashesRequested,
        long matchBlocksReturned,
        long scanHashesRequested,
        long scanBlocksReturned,
        long leakedBlocks,
        long inflightMutable,
        long inflightImmutable,
        long resetPoolSize,
        long inactivePoolSize,
        long pendingAllocations,
        long allocateRollbacks,
        long eventSubscribersDropped) {}
