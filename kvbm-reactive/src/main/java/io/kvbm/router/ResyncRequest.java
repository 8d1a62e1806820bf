package io.kvbm.router;

import io.kvbm.block.StorageTier;
import java.util.Objects;

/**
 * A router's request that a worker restate one tier's content: its event publisher answers by re-subscribing to the
 * manager with {@code eventsWithSnapshot()} and publishing the snapshot, after which the router's view of that tier is
 * exact again (see {@code docs/events.md}, "Resync protocol").
 *
 * @param instanceId the worker
 * @param tier the tier whose content is needed
 * @param lastSeq the last {@code seq} the router applied in order for this tier, −1 if none
 * @param receivedSeq the {@code seq} of the batch that revealed the problem (the one after the gap), or −1 if no batch
 *     did (a {@link Reason#RETRY})
 * @param reason why the router asks
 */
public record ResyncRequest(long instanceId, StorageTier tier, long lastSeq, long receivedSeq, Reason reason) {

    /**
     * Validates the request.
     *
     * @param instanceId the worker
     * @param tier the tier
     * @param lastSeq the last applied seq
     * @param receivedSeq the seq that revealed the gap
     * @param reason why
     */
    public ResyncRequest {
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(reason, "reason");
    }

    /** Why a router asks for a snapshot. */
    public enum Reason {
        /** A batch arrived whose {@code seq} is not the next one: batches in between were lost. */
        GAP,
        /** A live batch arrived from a worker or tier the router has no snapshot of. */
        UNKNOWN,
        /** An earlier request was not answered within the retry interval (it, or the snapshot, may have been lost). */
        RETRY
    }
}
