/**
 * Eviction policies for the inactive pool and the {@link io.kvbm.eviction.InactiveIndex} SPI they implement.
 *
 * <p>When an allocation finds the reset pool empty it evicts cached blocks from the inactive pool; the manager's
 * {@link io.kvbm.eviction.EvictionPolicy} decides which. Indices are called only from their manager's drain loop.
 */
@NullMarked
package io.kvbm.eviction;

import org.jspecify.annotations.NullMarked;
