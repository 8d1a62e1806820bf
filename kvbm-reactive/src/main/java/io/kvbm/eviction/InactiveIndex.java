package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The index of a manager's inactive pool: registered blocks that nobody holds, kept as a cache and evicted in the
 * order of an eviction policy.
 *
 * <p>The index knows only {@code (hash, blockId)} pairs; the manager keeps everything else about a slot. A hash appears
 * at most once (a manager caches only primary blocks, one per hash), and so does a block id. Every lookup that hits
 * <em>removes</em> the entry: the block is becoming active again.
 *
 * <p><strong>Threading.</strong> An index is owned by one manager and called only from its drain loop, one call at a
 * time, so implementations need no synchronization; they MUST NOT block and SHOULD NOT allocate in steady state.
 *
 * <p><strong>Contract</strong> (checked by the library's contract test for every built-in policy):
 *
 * <ul>
 *   <li>{@link #evict()} returns a victim whenever {@link #size()} {@code > 0}, so {@code allocate(n)} yields exactly
 *       {@code n} blocks when {@code size() >= n};
 *   <li>{@link #has(SequenceHash)} does not change the eviction order;
 *   <li>{@link #findMatches} stops at the first miss; {@link #scanMatches} does not.
 * </ul>
 */
public interface InactiveIndex {

    /** The block id returned when there is no block to return. */
    int NO_BLOCK = -1;

    /**
     * Adds a released block to the index.
     *
     * @param hash the block's hash, not already in the index
     * @param blockId the block's id, not already in the index
     * @throws IllegalStateException if the hash or the block id is already present
     * @throws IllegalArgumentException if the block id is outside {@code [0, blockCount)}
     */
    void insert(SequenceHash hash, int blockId);

    /**
     * Removes the block registered under {@code hash}, for reuse as an active block.
     *
     * @param hash the hash to look up
     * @return its block id, or {@link #NO_BLOCK} if absent
     */
    int remove(SequenceHash hash);

    /**
     * Returns whether {@code hash} is in the index, without changing the eviction order.
     *
     * @param hash the hash
     * @return {@code true} if present
     */
    boolean has(SequenceHash hash);

    /**
     * Removes the exact pair {@code (hash, blockId)} if present.
     *
     * @param hash the hash
     * @param blockId the block id it must map to
     * @return {@code true} if the pair was present and removed
     */
    boolean take(SequenceHash hash, int blockId);

    /**
     * Tells the index that a block it handed out through {@link #remove} will not come back: its last holder released
     * it to the reset pool (evict-on-release), so the slot's next registration is a new cache entry even if it has
     * the same hash. An index that remembers blocks across hits (to keep their place) must forget this one.
     *
     * <p>The default does nothing, which is right for indices that forget a block when {@link #remove} returns it.
     *
     * @param blockId the id of a block that is not in the index
     */
    default void forget(int blockId) {}

    /**
     * Removes the next victim in policy order.
     *
     * @return its block id, or {@link #NO_BLOCK} if the index is empty
     */
    int evict();

    /**
     * Returns the number of blocks in the index.
     *
     * @return the size
     */
    int size();

    /**
     * Removes up to {@code n} victims in policy order and passes their ids to {@code sink}.
     *
     * @param n the number of victims wanted
     * @param sink receives each victim's block id, in eviction order
     * @return the number of victims removed: {@code min(n, size())} for a correct index
     */
    default int allocate(int n, IntConsumer sink) {
        int done = 0;
        while (done < n) {
            int id = evict();
            if (id == NO_BLOCK) {
                break;
            }
            sink.accept(id);
            done++;
        }
        return done;
    }

    /**
     * Removes the blocks of the longest prefix of {@code hashes} that is present, stopping at the first miss.
     *
     * @param hashes the hashes to look up, in order
     * @param sink receives each hit's block id, in input order
     * @return the number of hits
     */
    default int findMatches(List<SequenceHash> hashes, IntConsumer sink) {
        int hits = 0;
        for (SequenceHash hash : hashes) {
            int id = remove(hash);
            if (id == NO_BLOCK) {
                break;
            }
            sink.accept(id);
            hits++;
        }
        return hits;
    }

    /**
     * Removes the blocks of every hash of {@code hashes} that is present, without stopping at a miss.
     *
     * @param hashes the hashes to look up, in order
     * @param sink receives each hit's block id, in input order
     * @return the number of hits
     */
    default int scanMatches(List<SequenceHash> hashes, IntConsumer sink) {
        int hits = 0;
        for (SequenceHash hash : hashes) {
            int id = remove(hash);
            if (id != NO_BLOCK) {
                sink.accept(id);
                hits++;
            }
        }
        return hits;
    }
}
