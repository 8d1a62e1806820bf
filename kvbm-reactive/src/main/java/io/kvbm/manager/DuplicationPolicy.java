package io.kvbm.manager;

/**
 * What a manager does when a block is registered under a hash that one of its blocks already holds.
 *
 * <p>The existing block may be active or cached in the inactive pool (a cached one is brought back first). Either way
 * the registration counts as one; only the outcome differs. Managers sharing a registry never deduplicate against
 * each other.
 */
public enum DuplicationPolicy {
    /**
     * Keep both physical copies: the new block becomes a <em>duplicate</em> with its own block id. A duplicate pins the
     * primary (which cannot be cached or evicted while the duplicate lives), is never cached itself (its last release
     * sends it to the reset pool) and is never returned by lookups. The usual choice for G1, where a request's blocks
     * must stay where they were computed.
     */
    ALLOW,
    /**
     * Keep one copy: the caller receives a handle to the existing primary (a different block id than the one it
     * staged) and the staged slot returns to the reset pool at once, its data discarded. Callers MUST use the returned
     * block id. The usual choice for G2 and below, where a copy is only a cache entry.
     */
    REJECT
}
