/**
 * The guards that represent block slots in each state of the lifecycle, and the tier labels.
 *
 * <p>A block slot belongs to one {@link io.kvbm.manager.BlockManager}. Its state is carried by the guard the caller
 * holds:
 *
 * <pre>
 *            allocate               stage / complete            register
 *   Reset ─────────────► Mutable ─────────────────► Complete ──────────────► Immutable ⇄ Weak
 *     ▲                    │  ▲         reset()       │  │                      │ (last close)
 *     │       close()      │  └───────────────────────┘  │ close()              ▼
 *     ├────────────────────┘                             │                  Inactive (cached)
 *     ├──────────────────────────────────────────────────┘                      │
 *     └────────────── evicted by allocate / dropped by resetInactive ◄──────────┘
 * </pre>
 *
 * <table>
 *   <caption>what close() does</caption>
 *   <tr><th>guard</th><th>close()</th></tr>
 *   <tr><td>{@link io.kvbm.block.MutableBlock}</td><td>slot → reset pool</td></tr>
 *   <tr><td>{@link io.kvbm.block.CompleteBlock}</td><td>slot → reset pool (never cached: it was not registered)</td></tr>
 *   <tr><td>{@link io.kvbm.block.ImmutableBlock}</td><td>releases one handle; the last one moves a primary to the
 *       inactive pool (or the reset pool with evict-on-release) and a duplicate to the reset pool</td></tr>
 *   <tr><td>{@link io.kvbm.block.WeakBlock}</td><td>not closeable: holds nothing</td></tr>
 * </table>
 *
 * <p>Every {@code close()} is idempotent and non-blocking; a transition on a consumed or closed guard throws
 * {@link java.lang.IllegalStateException}.
 */
@NullMarked
package io.kvbm.block;

import org.jspecify.annotations.NullMarked;
