/**
 * The router side of cache events: {@link io.kvbm.router.KvIndexer} builds, from the event batches of many workers,
 * an index of which worker holds which hashes on which tier, and answers how much of a request's prefix each worker
 * already holds ({@link io.kvbm.router.OverlapScores}, Dynamo's overlap score). It detects lost batches by their
 * {@code seq} and asks the worker for a snapshot ({@link io.kvbm.router.ResyncRequest}); the transports of
 * {@code io.kvbm.transport} carry both directions. See {@code docs/events.md}.
 */
@NullMarked
package io.kvbm.router;

import org.jspecify.annotations.NullMarked;
