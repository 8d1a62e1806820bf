package io.kvbm.event;

import io.kvbm.tokens.SequenceHash;
import java.util.Objects;

/**
 * One event about one hash, before batching: what {@link EventBatcher} consumes and what
 * {@link io.kvbm.registry.BlockRegistry#events()} emits.
 *
 * @param kind {@link EventKind#STORED}, {@link EventKind#REMOVED} or {@link EventKind#CLEARED}
 * @param hash the hash
 */
public record CacheEvent(EventKind kind, SequenceHash hash) {
    /**
     * Validates the event.
     *
     * @param kind the kind; {@link EventKind#SHUTDOWN} concerns no hash and is refused
     * @param hash the hash
     */
    public CacheEvent {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(hash, "hash");
        if (kind == EventKind.SHUTDOWN) {
            throw new IllegalArgumentException("a CacheEvent concerns one hash; SHUTDOWN is a batch of its own");
        }
    }

    /**
     * Returns a {@link EventKind#STORED} event.
     *
     * @param hash the hash
     * @return the event
     */
    public static CacheEvent stored(SequenceHash hash) {
        return new CacheEvent(EventKind.STORED, hash);
    }

    /**
     * Returns a {@link EventKind#REMOVED} event.
     *
     * @param hash the hash
     * @return the event
     */
    public static CacheEvent removed(SequenceHash hash) {
        return new CacheEvent(EventKind.REMOVED, hash);
    }
}
