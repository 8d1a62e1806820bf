/**
 * The reactive {@link io.kvbm.manager.BlockManager}: allocation with fair backpressure, registration with
 * deduplication, prefix matching and the inactive cache, for one storage tier.
 *
 * <p>Internally a manager is two layers: a single-threaded store that owns every slot's state and a drain loop that is
 * the only way into it (see {@code docs/architecture.md}). Guard implementations, the store and the loop are
 * package-private.
 */
@NullMarked
package io.kvbm.manager;

import org.jspecify.annotations.NullMarked;
