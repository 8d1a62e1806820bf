/**
 * Tokens to block identities: cutting a request's token stream into fixed-size blocks and hashing them the way
 * NVIDIA Dynamo's kvbm does, so that hashes computed here match those of Dynamo workers and KV-aware routers.
 *
 * <ul>
 *   <li>{@link io.kvbm.tokens.TokenBlockSequence} cuts a token stream into complete blocks plus a partial block, and
 *       keeps the hashes right as tokens are appended or taken back.
 *   <li>{@link io.kvbm.tokens.TokenBlock} is one complete block: its tokens, its content hash (XXH3-64 of the tokens
 *       as little-endian {@code u32}, seeded with the request's salt) and its sequence hash.
 *   <li>{@link io.kvbm.tokens.SequenceHash} is the 128-bit positional lineage hash that names a block together with
 *       its prefix: position, chained hash and parent fragment. It is the key of every cache lookup, registration
 *       and event in this library.
 * </ul>
 *
 * <p>Two requests share a block's {@code SequenceHash} exactly when they share the block's tokens, every token
 * before it, the block size and the salt. This is what makes prefix caching work: a request whose first {@code k}
 * sequence hashes are cached can skip computing those {@code k} blocks.
 *
 * <p>Hashing uses XXH3-64 from {@code net.openhft:zero-allocation-hashing}, with explicit little-endian encoding so
 * hashes do not depend on the platform.
 */
@org.jspecify.annotations.NullMarked
package io.kvbm.tokens;
