package io.kvbm.event;

import io.kvbm.block.StorageTier;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.Objects;

/**
 * A batch of cache events of one kind from one manager, the unit of the event streams and of the wire format.
 *
 * <p>Hashes are ordered by position: ascending for {@link EventKind#STORED} (a consumer inserting a chain meets every
 * parent before its children), descending for {@link EventKind#REMOVED} and {@link EventKind#CLEARED} (children go
 * before their parents); blocks at the same position keep the order in which their events happened. {@code seq}
 * numbers the batches of one manager from 0 without gaps, so a consumer that sees {@code seq} jump knows it missed
 * something; the batches of a snapshot repeat the {@code seq} of the last batch before it.
 *
 * @param instanceId the worker that emitted it (see {@code BlockManager.Builder#instanceId})
 * @param tier the storage tier of the emitting manager
 * @param seq the batch number, from 0, per manager
 * @param timestampMillis when the batch was closed, in the milliseconds of the manager's event scheduler
 * @param kind what the batch says about its hashes
 * @param hashes the hashes, ordered as described above; empty only for {@link EventKind#SHUTDOWN} and for the
 *     {@link EventKind#CLEARED} batch that starts a snapshot
 */
public record EventBatch(
        long instanceId, StorageTier tier, long seq, long timestampMillis, EventKind kind, List<SequenceHash> hashes) {
    /**
     * Validates and copies the batch.
     *
     * @param instanceId the worker id
     * @param tier the tier
     * @param seq the batch number
     * @param timestampMillis the closing time
     * @param kind the kind
     * @param hashes the hashes (copied)
     */
    public EventBatch {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(kind, "kind");
        hashes = List.copyOf(Objects.requireNonNull(hashes, "hashes"));
        if (seq < -1) {
            throw new IllegalArgumentException("seq must be >= -1, got " + seq);
        }
    }

    /**
     * Returns whether this batch starts a snapshot: a {@link EventKind#CLEARED} batch without hashes.
     *
     * @return {@code true} if a consumer should forget the tier's content before applying what follows
     */
    public boolean startsSnapshot() {
        return kind == EventKind.CLEARED && hashes.isEmpty();
    }

    /**
     * Returns how many events the batch carries, at least 1: the weight of the batch in subscriber buffers.
     *
     * @return the number of hashes, or 1 for a batch without hashes
     */
    public int weight() {
        return Math.max(1, hashes.size());
    }
}
