package io.kvbm.registry;

import io.kvbm.block.StorageTier;
import io.kvbm.event.CacheEvent;
import io.kvbm.event.EmissionPolicy;
import io.kvbm.event.EventKind;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.internal.EventBroadcaster;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;

/**
 * The registry of live sequence hashes, shared by the block managers of every tier of a worker.
 *
 * <p>A hash is <em>registered</em> while any {@link RegistrationHandle} to it is open. Block managers open one per
 * slot that holds the hash (active or cached), so a hash stays registered while some tier holds it and for as long as
 * users keep handles. The registry records, per tier, whether a block holds the hash ({@link #isPresent}), carries
 * typed attachments on each registration, and touches an optional {@link FrequencyTracker} once per newly created
 * registration.
 *
 * <p>Managers of different tiers may share one registry; they never deduplicate against each other (each manager
 * deduplicates its own blocks), but they share registrations, attachments and frequency counts.
 *
 * <p>Thread-safe and non-blocking (lock-free reference counts over a {@link ConcurrentHashMap}). Presence queries
 * are eventually consistent with the managers, which update presence from their drain loops.
 */
public final class BlockRegistry {

    /**
     * Returns a builder for a registry.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates a registry without frequency tracking.
     *
     * @return a new registry
     */
    public static BlockRegistry create() {
        return builder().build();
    }

    private final ConcurrentHashMap<SequenceHash, RegistryEntry> entries = new ConcurrentHashMap<>();
    private final AtomicInteger live = new AtomicInteger();
    private final FrequencyTracker tracker;
    private final boolean tracking;
    private final EmissionPolicy emissionPolicy;
    private final EventBroadcaster<CacheEvent> eventSubscribers;
    private final AtomicLong droppedEventSubscribers = new AtomicLong();

    // Presence transitions of every entry, and subscriber attachments, in the order they happened; drained by one
    // thread at a time, which makes it the single producer of eventSubscribers.
    private final Queue<Object> eventWork = Queues.unboundedMultiproducer().get();
    private final AtomicInteger eventWip = new AtomicInteger();

    private BlockRegistry(Builder builder) {
        this.tracker = builder.tracker == null ? FrequencyTracker.noop() : builder.tracker;
        this.tracking = builder.tracker != null;
        this.emissionPolicy = builder.emissionPolicy;
        this.eventSubscribers =
                new EventBroadcaster<>(builder.eventBufferSize, e -> 1, droppedEventSubscribers::incrementAndGet);
    }

    /**
     * Returns the hot stream of the registry's presence events, kvbm's registry-level {@code Create}/{@code Remove}:
     * {@link EventKind#STORED} when the first block of any tier sharing this registry comes to hold a hash, and
     * {@link EventKind#REMOVED} when the last one lets it go. Moving between tiers (G1 evicts what G2 holds) causes no
     * event. For per-tier, batched, numbered events use {@link io.kvbm.manager.BlockManager#events()}; to batch these,
     * {@link io.kvbm.event.EventBatcher}.
     *
     * <ul>
     *   <li>Multicast, hot: a subscriber sees the transitions that happen after it subscribed; for each hash they
     *       alternate STORED, REMOVED, STORED… in the order they happened.
     *   <li>Backpressure: each subscriber has its own buffer of {@link Builder#eventBufferSize(int)} events; one that
     *       falls further behind is terminated with {@link io.kvbm.event.EventStreamOverflowException}.
     *   <li>Never completes.
     *   <li>Threading: delivered on the thread of the transition (a manager's drain loop, or a thread closing a
     *       registration handle) or of the request.
     * </ul>
     *
     * @return the hot event stream
     */
    public Flux<CacheEvent> events() {
        return Flux.from(subscriber -> {
            CoreSubscriber<? super CacheEvent> actual = Operators.toCoreSubscriber(subscriber);
            Subscription subscription = eventSubscribers.prepare(actual);
            actual.onSubscribe(subscription);
            eventWork.offer(subscription);
            drainEvents();
        });
    }

    /**
     * Returns how many event subscribers were terminated for falling behind.
     *
     * @return the count
     */
    public long droppedEventSubscribers() {
        return droppedEventSubscribers.get();
    }

    void presenceChanged(RegistryEntry entry) {
        eventWork.offer(entry);
        drainEvents();
    }

    private void drainEvents() {
        if (eventWip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        for (; ; ) {
            Object work;
            while ((work = eventWork.poll()) != null) {
                if (work instanceof RegistryEntry) {
                    RegistryEntry entry = (RegistryEntry) work;
                    boolean present = entry.isPresentAnywhere();
                    if (present != entry.published) {
                        entry.published = present;
                        if (eventSubscribers.subscriberCount() != 0 && emissionPolicy.shouldEmit(entry.hash)) {
                            eventSubscribers.emit(
                                    present ? CacheEvent.stored(entry.hash) : CacheEvent.removed(entry.hash));
                        }
                    }
                } else {
                    eventSubscribers.attach((Subscription) work, List.of());
                }
            }
            missed = eventWip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    /**
     * Registers {@code hash}, or joins its live registration, and returns a handle to it.
     *
     * <p>The frequency tracker is touched only when the registration is created by this call.
     *
     * @param hash the hash to register
     * @return a new handle that the caller MUST close
     */
    public RegistrationHandle register(SequenceHash hash) {
        return new RegistrationHandle(acquire(Objects.requireNonNull(hash, "hash")), null);
    }

    /**
     * Registers {@code hash} like {@link #register(SequenceHash)} and marks it present in {@code tier} until the
     * returned handle is closed.
     *
     * <p>Block managers call this for every block they register; a storage layer outside this library (an external
     * G4 store, say) may call it to advertise the blocks it holds.
     *
     * @param hash the hash to register
     * @param tier the tier that holds a block with this hash
     * @return a new handle that the caller MUST close; closing it removes this presence mark
     */
    public RegistrationHandle register(SequenceHash hash, StorageTier tier) {
        Objects.requireNonNull(tier, "tier");
        RegistryEntry entry = acquire(Objects.requireNonNull(hash, "hash"));
        entry.markPresent(tier);
        return new RegistrationHandle(entry, tier);
    }

    /**
     * Returns a new handle to the live registration of {@code hash}, if there is one.
     *
     * @param hash the hash to look up
     * @param touch whether a hit counts as an access for the frequency tracker
     * @return a handle that the caller MUST close, or empty
     */
    public Optional<RegistrationHandle> lookup(SequenceHash hash, boolean touch) {
        RegistryEntry entry = entries.get(Objects.requireNonNull(hash, "hash"));
        if (entry == null || !entry.tryRetain()) {
            return Optional.empty();
        }
        if (touch) {
            tracker.touch(hash);
        }
        return Optional.of(new RegistrationHandle(entry, null));
    }

    /**
     * Returns whether {@code hash} has a live registration.
     *
     * @param hash the hash
     * @return {@code true} if at least one handle to it is open
     */
    public boolean isRegistered(SequenceHash hash) {
        RegistryEntry entry = entries.get(Objects.requireNonNull(hash, "hash"));
        return entry != null && entry.isLive();
    }

    /**
     * Returns the number of live registrations.
     *
     * @return the count; a best-effort snapshot under concurrent changes
     */
    public int registeredCount() {
        return live.get();
    }

    /**
     * Returns whether a block of {@code tier} holds {@code hash}. Does not touch the frequency tracker.
     *
     * @param hash the hash
     * @param tier the tier
     * @return {@code true} if the hash is registered and present in that tier
     */
    public boolean isPresent(SequenceHash hash, StorageTier tier) {
        Objects.requireNonNull(tier, "tier");
        RegistryEntry entry = entries.get(Objects.requireNonNull(hash, "hash"));
        return entry != null && entry.isLive() && entry.isPresent(tier);
    }

    /**
     * Checks {@link #isPresent} for each hash.
     *
     * @param hashes the hashes, in any order, repeats allowed
     * @param tier the tier
     * @return one answer per input hash, in input order
     */
    public List<Boolean> checkPresence(List<SequenceHash> hashes, StorageTier tier) {
        Objects.requireNonNull(hashes, "hashes");
        Objects.requireNonNull(tier, "tier");
        List<Boolean> result = new ArrayList<>(hashes.size());
        for (SequenceHash hash : hashes) {
            result.add(isPresent(hash, tier));
        }
        return Collections.unmodifiableList(result);
    }

    /**
     * Checks, for each hash, whether a block of any of {@code tiers} holds it.
     *
     * @param hashes the hashes, in any order, repeats allowed
     * @param tiers the tiers
     * @return one answer per input hash, in input order
     */
    public List<Boolean> checkPresenceAny(List<SequenceHash> hashes, Set<StorageTier> tiers) {
        Objects.requireNonNull(hashes, "hashes");
        Objects.requireNonNull(tiers, "tiers");
        List<Boolean> result = new ArrayList<>(hashes.size());
        for (SequenceHash hash : hashes) {
            boolean any = false;
            for (StorageTier tier : tiers) {
                if (isPresent(hash, tier)) {
                    any = true;
                    break;
                }
            }
            result.add(any);
        }
        return Collections.unmodifiableList(result);
    }

    /**
     * Records one access to {@code hash} in the frequency tracker (a no-op without tracking).
     *
     * @param hash the accessed hash
     */
    public void touch(SequenceHash hash) {
        tracker.touch(Objects.requireNonNull(hash, "hash"));
    }

    /**
     * Counts one access for each of {@code hashes}, in order: the same as {@link #touch(SequenceHash)} for each, in
     * one call to the frequency tracker (a match touches all its hits this way).
     *
     * @param hashes the accessed hashes, one access each; no element may be null
     */
    public void touchAll(List<SequenceHash> hashes) {
        tracker.touchAll(Objects.requireNonNull(hashes, "hashes"));
    }

    /**
     * Returns the frequency tracker's estimate for {@code hash}; 0 without tracking.
     *
     * @param hash the hash
     * @return the estimated access count
     */
    public int count(SequenceHash hash) {
        return tracker.count(Objects.requireNonNull(hash, "hash"));
    }

    /**
     * Returns whether this registry was built with a frequency tracker.
     *
     * @return {@code true} if {@link Builder#frequencyTracker} was set
     */
    public boolean hasFrequencyTracking() {
        return tracking;
    }

    /**
     * Returns the frequency tracker, {@link FrequencyTracker#noop()} when built without one.
     *
     * @return the tracker
     */
    public FrequencyTracker frequencyTracker() {
        return tracker;
    }

    private RegistryEntry acquire(SequenceHash hash) {
        for (; ; ) {
            RegistryEntry current = entries.get(hash);
            if (current != null && current.tryRetain()) {
                return current;
            }
            RegistryEntry created = new RegistryEntry(this, hash);
            // A dead entry (count 0) may linger until its releaser removes it: replace it atomically.
            boolean installed = current == null
                    ? entries.putIfAbsent(hash, created) == null
                    : entries.replace(hash, current, created);
            if (installed) {
                live.incrementAndGet();
                tracker.touch(hash);
                return created;
            }
        }
    }

    void remove(RegistryEntry entry) {
        live.decrementAndGet();
        // Identity-checked: a newer registration of the same hash may already have replaced this entry.
        entries.remove(entry.hash, entry);
    }

    @Override
    public String toString() {
        return "BlockRegistry[registered=" + live.get() + ", frequencyTracking=" + tracking + "]";
    }

    /** Builds a {@link BlockRegistry}. Not thread-safe. */
    public static final class Builder {

        private @Nullable FrequencyTracker tracker;
        private EmissionPolicy emissionPolicy = EmissionPolicy.all();
        private int eventBufferSize = 8192;

        private Builder() {}

        /**
         * Sets which hashes produce {@link BlockRegistry#events()}. Default {@link EmissionPolicy#all()}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder emissionPolicy(EmissionPolicy policy) {
            this.emissionPolicy = Objects.requireNonNull(policy, "emissionPolicy");
            return this;
        }

        /**
         * Sets each event subscriber's buffer, in events. Default 8192.
         *
         * @param events at least 1
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder eventBufferSize(int events) {
            if (events < 1) {
                throw new IllegalArgumentException("eventBufferSize must be positive, got " + events);
            }
            this.eventBufferSize = events;
            return this;
        }

        /**
         * Sets the tracker touched on each new registration and on each lookup hit of the managers using this
         * registry. Default: none (every count is 0; frequency-aware eviction policies refuse such a registry).
         *
         * @param tracker the tracker
         * @return this builder
         */
        public Builder frequencyTracker(FrequencyTracker tracker) {
            this.tracker = Objects.requireNonNull(tracker, "tracker");
            return this;
        }

        /**
         * Builds the registry.
         *
         * @return a new registry
         */
        public BlockRegistry build() {
            return new BlockRegistry(this);
        }
    }
}
