/**
 * The registry of live sequence hashes shared across tiers: registration handles, per-tier presence and typed
 * attachments.
 *
 * <p>{@link io.kvbm.registry.BlockRegistry} maps each registered {@link io.kvbm.tokens.SequenceHash} to a
 * reference-counted registration; {@link io.kvbm.registry.RegistrationHandle} is a counted reference to it. Block
 * managers hold one handle per slot that holds a hash, and mark the hash present in their tier while they do.
 */
@NullMarked
package io.kvbm.registry;

import org.jspecify.annotations.NullMarked;
