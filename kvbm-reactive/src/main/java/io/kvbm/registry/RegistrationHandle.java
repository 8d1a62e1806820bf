package io.kvbm.registry;

import io.kvbm.block.StorageTier;
import io.kvbm.registry.RegistryEntry.Multiple;
import io.kvbm.registry.RegistryEntry.Unique;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A counted reference to the registration of one {@link SequenceHash} in a {@link BlockRegistry}.
 *
 * <p>The registration lives while any handle to it is open: every block manager slot that holds the hash (active or
 * cached) keeps one, and so does every handle a user obtained. {@link #close()} releases this handle once; when the
 * last one is released the hash is no longer registered and its attachments are gone. A handle created with
 * {@link BlockRegistry#register(SequenceHash, StorageTier)} additionally marks the hash as present in that tier until
 * it is closed.
 *
 * <p><strong>Attachments</strong> are typed values stored on the registration and shared by all its handles, for
 * example the location of the block in an external store. A type is attached either as <em>unique</em> (one value,
 * replaced by later attachments) or as <em>multiple</em> (a list); mixing modes for one type fails with
 * {@link AttachmentException}. Attachment methods are thread-safe and atomic per type; the functions given to the
 * {@code update*} methods run while that type's entry is being updated and MUST be short and side-effect free.
 *
 * <p>Thread-safe. Using a closed handle throws {@link IllegalStateException}.
 */
public final class RegistrationHandle implements AutoCloseable {

    private static final AtomicIntegerFieldUpdater<RegistrationHandle> CLOSED =
            AtomicIntegerFieldUpdater.newUpdater(RegistrationHandle.class, "closed");

    private final RegistryEntry entry;
    private final @Nullable StorageTier presenceTier;
    private volatile int closed;

    RegistrationHandle(RegistryEntry entry, @Nullable StorageTier presenceTier) {
        this.entry = entry;
        this.presenceTier = presenceTier;
    }

    /**
     * Returns the registered hash.
     *
     * @return the sequence hash
     */
    public SequenceHash sequenceHash() {
        return entry.hash;
    }

    /**
     * Returns whether this handle belongs to {@code registry}.
     *
     * @param registry the registry to compare with
     * @return {@code true} if the registration lives in that registry
     */
    public boolean isFromRegistry(BlockRegistry registry) {
        return entry.registry == registry;
    }

    /**
     * Returns another handle to the same registration. The new handle marks no presence.
     *
     * @return a new handle that the caller MUST close
     * @throws IllegalStateException if this handle is closed
     */
    public RegistrationHandle retain() {
        requireOpen();
        // tryRetain, not an increment: a concurrent close() of this same handle may have dropped the last reference
        if (!entry.tryRetain()) {
            throw new IllegalStateException("registration handle of " + entry.hash + " is closed");
        }
        return new RegistrationHandle(entry, null);
    }

    /**
     * Returns whether a block of {@code tier} currently holds the hash (active or cached in an inactive pool).
     *
     * <p>Eventually consistent with the managers: it is updated by their drain loops as blocks are registered,
     * evicted and reset.
     *
     * @param tier the tier to check
     * @return {@code true} if at least one block of that tier holds the hash
     */
    public boolean hasBlock(StorageTier tier) {
        return entry.isPresent(Objects.requireNonNull(tier, "tier"));
    }

    /**
     * Returns whether a block of any of {@code tiers} currently holds the hash.
     *
     * @param tiers the tiers to check
     * @return {@code true} if at least one of them holds it
     */
    public boolean hasAnyBlock(Set<StorageTier> tiers) {
        for (StorageTier tier : Objects.requireNonNull(tiers, "tiers")) {
            if (hasBlock(tier)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Attaches {@code value} as the unique value of {@code type}, replacing any previous one.
     *
     * @param type the value type, which becomes a unique type of this registration
     * @param value the value
     * @param <V> the value type
     * @throws AttachmentException if {@code type} was attached with {@link #attach(Class, Object)}
     * @throws IllegalStateException if this handle is closed
     */
    public <V> void attachUnique(Class<V> type, V value) {
        Objects.requireNonNull(type, "type");
        Object checked = type.cast(Objects.requireNonNull(value, "value"));
        requireOpen();
        entry.attachments().compute(type, (k, old) -> {
            if (old instanceof Multiple) {
                throw new AttachmentException(AttachmentException.Reason.TYPE_ALREADY_REGISTERED_AS_MULTIPLE, type);
            }
            return new Unique(checked);
        });
    }

    /**
     * Appends {@code value} to the values of {@code type}.
     *
     * @param type the value type, which becomes a multiple type of this registration
     * @param value the value
     * @param <V> the value type
     * @throws AttachmentException if {@code type} was attached with {@link #attachUnique(Class, Object)}
     * @throws IllegalStateException if this handle is closed
     */
    public <V> void attach(Class<V> type, V value) {
        Objects.requireNonNull(type, "type");
        Object checked = type.cast(Objects.requireNonNull(value, "value"));
        requireOpen();
        entry.attachments().compute(type, (k, old) -> {
            if (old instanceof Unique) {
                throw new AttachmentException(AttachmentException.Reason.TYPE_ALREADY_REGISTERED_AS_UNIQUE, type);
            }
            List<Object> values = new ArrayList<>(old == null ? 1 : ((Multiple) old).values.size() + 1);
            if (old != null) {
                values.addAll(((Multiple) old).values);
            }
            values.add(checked);
            return new Multiple(Collections.unmodifiableList(values));
        });
    }

    /**
     * Returns the unique value of {@code type}.
     *
     * @param type the value type
     * @param <V> the value type
     * @return the value, or empty if none is attached or the type is a multiple type
     */
    public <V> Optional<V> unique(Class<V> type) {
        Object a = entry.attachments().get(Objects.requireNonNull(type, "type"));
        return a instanceof Unique ? Optional.of(type.cast(((Unique) a).value)) : Optional.empty();
    }

    /**
     * Returns the values of {@code type}, in attachment order.
     *
     * @param type the value type
     * @param <V> the value type
     * @return an unmodifiable snapshot; empty if none are attached or the type is a unique type
     */
    @SuppressWarnings("unchecked")
    public <V> List<V> multiple(Class<V> type) {
        Object a = entry.attachments().get(Objects.requireNonNull(type, "type"));
        return a instanceof Multiple ? (List<V>) ((Multiple) a).values : List.of();
    }

    /**
     * Atomically replaces the unique value of {@code type} with {@code update(value)}.
     *
     * @param type the value type
     * @param update computes the new value from the current one
     * @param <V> the value type
     * @return {@code true} if a unique value was present and replaced
     * @throws IllegalStateException if this handle is closed
     */
    public <V> boolean updateUnique(Class<V> type, UnaryOperator<V> update) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(update, "update");
        requireOpen();
        boolean[] updated = {false};
        entry.attachments().computeIfPresent(type, (k, old) -> {
            if (!(old instanceof Unique)) {
                return old;
            }
            updated[0] = true;
            return new Unique(
                    Objects.requireNonNull(type.cast(update.apply(type.cast(((Unique) old).value))), "update result"));
        });
        return updated[0];
    }

    /**
     * Atomically replaces every value of {@code type} with {@code update(value)}.
     *
     * @param type the value type
     * @param update computes each new value from the current one
     * @param <V> the value type
     * @return the number of values replaced
     * @throws IllegalStateException if this handle is closed
     */
    public <V> int updateMultiple(Class<V> type, UnaryOperator<V> update) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(update, "update");
        requireOpen();
        int[] updated = {0};
        entry.attachments().computeIfPresent(type, (k, old) -> {
            if (!(old instanceof Multiple)) {
                return old;
            }
            List<Object> values = new ArrayList<>(((Multiple) old).values.size());
            for (Object v : ((Multiple) old).values) {
                values.add(Objects.requireNonNull(type.cast(update.apply(type.cast(v))), "update result"));
            }
            updated[0] = values.size();
            return new Multiple(Collections.unmodifiableList(values));
        });
        return updated[0];
    }

    /**
     * Returns whether this handle was closed.
     *
     * @return {@code true} after {@link #close()}
     */
    public boolean isClosed() {
        return closed != 0;
    }

    /**
     * Releases this handle (and the presence mark it carries, if any); the last release ends the registration.
     *
     * <p>Idempotent and non-blocking.
     */
    @Override
    public void close() {
        if (CLOSED.compareAndSet(this, 0, 1)) {
            if (presenceTier != null) {
                entry.markAbsent(presenceTier);
            }
            entry.release();
        }
    }

    @Override
    public String toString() {
        return "RegistrationHandle[" + entry.hash + (closed != 0 ? ", closed]" : "]");
    }

    private void requireOpen() {
        if (closed != 0) {
            throw new IllegalStateException("registration handle of " + entry.hash + " is closed");
        }
    }
}
