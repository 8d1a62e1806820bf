/**
 * Cache events: what a tier tells the rest of the system when the set of hashes it holds changes.
 *
 * <p>A {@link io.kvbm.manager.BlockManager} reports, per tier, {@link io.kvbm.event.EventKind#STORED} when the first
 * block with a hash is registered and {@link io.kvbm.event.EventKind#REMOVED} when the last one leaves (moving a released
 * block into the inactive pool is not a removal), {@link io.kvbm.event.EventKind#CLEARED} for hashes dropped in bulk
 * and {@link io.kvbm.event.EventKind#SHUTDOWN} when it closes. Events travel in {@link io.kvbm.event.EventBatch}es
 * numbered per manager without gaps; {@link io.kvbm.event.EmissionPolicy} filters them by position. The
 * {@link io.kvbm.event.EventBatcher} operator batches any stream of {@link io.kvbm.event.CacheEvent}s the same way.
 */
@NullMarked
package io.kvbm.event;

import org.jspecify.annotations.NullMarked;
