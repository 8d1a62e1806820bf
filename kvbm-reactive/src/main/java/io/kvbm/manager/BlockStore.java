package io.kvbm.manager;

import io.kvbm.block.StorageTier;
import io.kvbm.eviction.InactiveIndex;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.registry.RegistrationHandle;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Every piece of block bookkeeping of one manager: slot states, the reset pool, the inactive index and the map from
 * hash to active primary.
 *
 * <p>Plain single-threaded code, a port of kvbm's {@code BlockStore} without its mutex: the {@link DrainLoop} is the
 * only caller, one operation at a time, so there is nothing to lock and no lock order to respect. Because every
 * transition of a slot, of the pools and of the active map happens in one operation, a hash is never reachable from
 * neither the active map nor the inactive index while it is moving between them.
 *
 * <h2>Slot states</h2>
 *
 * <pre>
 * state      held by                          last release / drop goes to     registry handle  presence
 * RESET      the free list                    —                               no               no
 * MUTABLE    one MutableBlock                 RESET (tail of the free list)   no               no
 * STAGED     one CompleteBlock                RESET                           no               no
 * PRIMARY    ActiveEntry handles (+dups)      INACTIVE, or RESET if evict-on-release   yes     yes
 * DUPLICATE  ActiveEntry handles              RESET, then releases its primary         yes     yes
 * INACTIVE   the inactive index               MUTABLE when evicted by allocation       yes     yes
 * </pre>
 *
 * A slot's registry handle carries its tier's presence mark, so presence is +1 on Staged → Primary/Duplicate, −1 when
 * the slot leaves the registered states, and unchanged across Primary ⇄ Inactive, as in kvbm.
 *
 * <h2>Invariants</h2>
 *
 * Checked by {@link #audit()}: the state counts sum to the block count; the free list holds exactly the RESET slots,
 * the inactive index exactly the INACTIVE ones and the active map exactly the PRIMARY ones, each with a live entry; a
 * DUPLICATE's primary is live; registered slots and only they hold a registry handle.
 */
final class BlockStore {

    static final byte RESET = 0;
    static final byte MUTABLE = 1;
    static final byte STAGED = 2;
    static final byte PRIMARY = 3;
    static final byte DUPLICATE = 4;
    static final byte INACTIVE = 5;
    private static final String[] STATE_NAMES = {"RESET", "MUTABLE", "STAGED", "PRIMARY", "DUPLICATE", "INACTIVE"};

    final int totalBlocks;
    final int blockSize;
    final StorageTier tier;
    final DuplicationPolicy duplicationPolicy;
    final BlockRegistry registry;
    final boolean defaultEvictOnRelease;
    final StoreCounters counters;

    private final byte[] states;
    private final SequenceHash[] hashes;
    private final ActiveEntry[] entries;
    private final RegistrationHandle[] registrations;
    private final boolean[] evictOnRelease;
    private final int[] stateCounts = new int[6];
    private final FreeList free;
    private final InactiveIndex inactive;
    private final ActiveMap activeByHash = new ActiveMap();
    /** Once the manager is closed nothing is cached any more: its tier must stop advertising hashes. */
    private boolean closed;
    /** Told about every transition that changes which hashes this tier holds. */
    private StoreEvents events = StoreEvents.NONE;

    BlockStore(
            int totalBlocks,
            int blockSize,
            StorageTier tier,
            DuplicationPolicy duplicationPolicy,
            BlockRegistry registry,
            InactiveIndex inactive,
            boolean defaultEvictOnRelease,
            StoreCounters counters) {
        this.totalBlocks = totalBlocks;
        this.blockSize = blockSize;
        this.tier = tier;
        this.duplicationPolicy = duplicationPolicy;
        this.registry = registry;
        this.inactive = inactive;
        this.defaultEvictOnRelease = defaultEvictOnRelease;
        this.counters = counters;
        this.states = new byte[totalBlocks];
        this.hashes = new SequenceHash[totalBlocks];
        this.entries = new ActiveEntry[totalBlocks];
        this.registrations = new RegistrationHandle[totalBlocks];
        this.evictOnRelease = new boolean[totalBlocks];
        this.free = new FreeList(totalBlocks);
        for (int id = 0; id < totalBlocks; id++) {
            free.push(id);
        }
        stateCounts[RESET] = totalBlocks;
        counters.set(StoreCounters.RESET_POOL, totalBlocks);
        counters.set(StoreCounters.AVAILABLE, totalBlocks);
    }

    // ---------------------------------------------------------------------------------------------------------
    // allocation

    void events(StoreEvents events) {
        this.events = events;
    }

    int available() {
        return free.size() + inactive.size();
    }

    int resetSize() {
        return free.size();
    }

    int inactiveSize() {
        return inactive.size();
    }

    /**
     * Moves {@code n <= available()} blocks to MUTABLE: reset blocks first (oldest freed first), then victims of the
     * inactive index in policy order. All or nothing: if the index breaks its contract and yields too few victims,
     * everything is put back and an exception names the index.
     *
     * @param ids receives the block ids, reset ones first
     * @param evicted receives the evicted hashes in eviction order, or null if the caller does not want them
     */
    void allocate(int n, int[] ids, @Nullable List<SequenceHash> evicted) {
        int fromReset = Math.min(n, free.size());
        for (int i = 0; i < fromReset; i++) {
            ids[i] = free.poll();
        }
        int victims = 0;
        for (int i = fromReset; i < n; i++) {
            int id = inactive.evict();
            if (id == InactiveIndex.NO_BLOCK) {
                rollback(ids, fromReset, victims);
                throw new IllegalStateException("inactive index " + inactive + " reported "
                        + (inactive.size() + victims) + " blocks but yielded only " + victims
                        + " victim(s); allocation of " + n + " rolled back");
            }
            ids[i] = id;
            victims++;
        }
        for (int i = 0; i < fromReset; i++) {
            int id = ids[i];
            move(id, RESET, MUTABLE);
            resetEvictOnRelease(id);
        }
        for (int i = fromReset; i < n; i++) {
            int id = ids[i];
            SequenceHash hash = hashes[id];
            if (evicted != null) {
                evicted.add(hash);
            }
            dropRegistration(id);
            move(id, INACTIVE, MUTABLE);
            resetEvictOnRelease(id);
            events.removed(hash);
        }
        counters.add(StoreCounters.ALLOCATIONS, n);
        counters.add(StoreCounters.ALLOCATIONS_FROM_RESET, fromReset);
        counters.add(StoreCounters.EVICTIONS, victims);
        counters.add(StoreCounters.INFLIGHT_MUTABLE, n);
        publishPools();
    }

    /**
     * Moves one block to MUTABLE ({@code available() >= 1}): the reset block freed longest ago, else the inactive
     * index's next victim. The single-block twin of {@link #allocate}, without its arrays.
     */
    int allocateOne(@Nullable List<SequenceHash> evicted) {
        int id;
        if (free.size() != 0) {
            id = free.poll();
            move(id, RESET, MUTABLE);
            counters.add(StoreCounters.ALLOCATIONS_FROM_RESET, 1);
        } else {
            id = inactive.evict();
            if (id == InactiveIndex.NO_BLOCK) {
                throw new IllegalStateException("inactive index " + inactive + " reported " + inactive.size()
                        + " blocks but yielded no victim; allocation of 1 refused");
            }
            SequenceHash hash = hashes[id];
            if (evicted != null) {
                evicted.add(hash);
            }
            dropRegistration(id);
            move(id, INACTIVE, MUTABLE);
            counters.add(StoreCounters.EVICTIONS, 1);
            events.removed(hash);
        }
        resetEvictOnRelease(id);
        counters.add(StoreCounters.ALLOCATIONS, 1);
        counters.add(StoreCounters.INFLIGHT_MUTABLE, 1);
        publishPools();
        return id;
    }

    private void rollback(int[] ids, int fromReset, int victims) {
        for (int i = fromReset + victims - 1; i >= fromReset; i--) {
            inactive.insert(hashes[ids[i]], ids[i]);
        }
        for (int i = fromReset - 1; i >= 0; i--) {
            free.pushFront(ids[i]);
        }
        counters.add(StoreCounters.ALLOCATE_ROLLBACKS, 1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // unregistered guards

    void releaseMutable(int id) {
        move(id, MUTABLE, RESET);
        free.push(id);
        counters.add(StoreCounters.INFLIGHT_MUTABLE, -1);
        publishPools();
    }

    void stage(int id, SequenceHash hash) {
        move(id, MUTABLE, STAGED);
        hashes[id] = hash;
        counters.add(StoreCounters.INFLIGHT_MUTABLE, -1);
        counters.add(StoreCounters.STAGINGS, 1);
    }

    void unstage(int id) {
        move(id, STAGED, MUTABLE);
        hashes[id] = null;
        resetEvictOnRelease(id);
        counters.add(StoreCounters.INFLIGHT_MUTABLE, 1);
    }

    void releaseStaged(int id) {
        move(id, STAGED, RESET);
        hashes[id] = null;
        free.push(id);
        publishPools();
    }

    // ---------------------------------------------------------------------------------------------------------
    // registration and lookup

    /**
     * Registers the STAGED slot {@code id} and returns the entry the caller's new handle refers to (with that handle's
     * reference already counted): the slot's new primary or duplicate entry, or under REJECT the existing primary.
     */
    ActiveEntry register(int id, SequenceHash hash) {
        requireState(id, STAGED);
        counters.add(StoreCounters.REGISTRATIONS, 1);
        // Finds active primaries and resurrects a cached one, like kvbm's registration-time lookup.
        ActiveEntry existing = acquire(hash);
        if (existing != null) {
            if (duplicationPolicy == DuplicationPolicy.REJECT) {
                counters.add(StoreCounters.REGISTRATION_DEDUP, 1);
                releaseStaged(id);
                return existing;
            }
            counters.add(StoreCounters.DUPLICATE_BLOCKS, 1);
            move(id, STAGED, DUPLICATE);
            registrations[id] = registry.register(hash, tier);
            // The reference acquire() took is the duplicate's pin on the primary, not a handle.
            ActiveEntry duplicate = new ActiveEntry(id, hash, existing);
            entries[id] = duplicate;
            return duplicate;
        }
        move(id, STAGED, PRIMARY);
        registrations[id] = registry.register(hash, tier);
        ActiveEntry primary = new ActiveEntry(id, hash, null);
        entries[id] = primary;
        activeByHash.put(primary);
        events.stored(hash);
        return primary;
    }

    /**
     * Returns the active primary for {@code hash} with one more reference, resurrecting it from the inactive pool if
     * it is cached there; null if this manager holds no block with that hash.
     */
    @Nullable
    ActiveEntry acquire(SequenceHash hash) {
        ActiveEntry active = activeByHash.get(hash);
        if (active != null) {
            active.retain();
            return active;
        }
        int id = inactive.remove(hash);
        if (id == InactiveIndex.NO_BLOCK) {
            return null;
        }
        return resurrect(id, hash);
    }

    /** Like {@link #acquire} for a weak reference: the same entry if it is still held, else any primary. */
    @Nullable
    ActiveEntry upgrade(ActiveEntry weak) {
        if (entries[weak.blockId] == weak) {
            weak.retain();
            return weak;
        }
        return acquire(weak.hash);
    }

    private ActiveEntry resurrect(int id, SequenceHash hash) {
        if (states[id] != INACTIVE || !hash.equals(hashes[id])) {
            throw new IllegalStateException(
                    "inactive index returned block " + id + " for " + hash + " but the slot is " + describe(id));
        }
        move(id, INACTIVE, PRIMARY);
        ActiveEntry primary = new ActiveEntry(id, hash, null);
        entries[id] = primary;
        activeByHash.put(primary);
        publishPools();
        return primary;
    }

    /** Drops one reference of {@code entry} inside the drain loop, releasing the slot if it was the last. */
    void release(ActiveEntry entry) {
        if (entry.release()) {
            lastRelease(entry);
        }
    }

    private void lastRelease(ActiveEntry entry) {
        int id = entry.blockId;
        if (entries[id] != entry) {
            throw new IllegalStateException(
                    "last release of block " + id + " (" + entry.hash + ") found the slot " + describe(id));
        }
        entries[id] = null;
        if (entry.isPrimary()) {
            activeByHash.remove(entry.hash);
            if (evictOnRelease[id] || closed) {
                // The block may have come out of the inactive index; it leaves the cache for good now.
                inactive.forget(id);
                dropRegistration(id);
                move(id, PRIMARY, RESET);
                hashes[id] = null;
                free.push(id);
                events.removed(entry.hash);
            } else {
                move(id, PRIMARY, INACTIVE);
                inactive.insert(entry.hash, id);
            }
            publishPools();
        } else {
            dropRegistration(id);
            move(id, DUPLICATE, RESET);
            hashes[id] = null;
            free.push(id);
            publishPools();
            ActiveEntry primary = entry.primary;
            if (primary != null) {
                release(primary);
            }
        }
    }

    void setEvictOnRelease(int id, boolean evict) {
        // Only meaningful while registered; a late write after the slot moved on must not leak into its next life.
        if (states[id] == PRIMARY || states[id] == DUPLICATE) {
            evictOnRelease[id] = evict;
        }
    }

    /** Stops caching: from now on every released primary goes to the reset pool. */
    void close() {
        closed = true;
    }

    /** Drains the inactive pool into the reset pool; returns the hashes dropped, in eviction order. */
    List<SequenceHash> resetInactive() {
        List<SequenceHash> dropped = new ArrayList<>(inactive.size());
        for (int id = inactive.evict(); id != InactiveIndex.NO_BLOCK; id = inactive.evict()) {
            dropped.add(hashes[id]);
            events.cleared(hashes[id]);
            dropRegistration(id);
            move(id, INACTIVE, RESET);
            hashes[id] = null;
            free.push(id);
        }
        publishPools();
        return dropped;
    }

    /** Every hash this manager holds a block for: active primaries and cached blocks (a snapshot's content). */
    List<SequenceHash> heldHashes() {
        List<SequenceHash> held = new ArrayList<>(activeByHash.size() + inactive.size());
        activeByHash.forEach(e -> held.add(e.hash));
        for (int id = 0; id < totalBlocks; id++) {
            if (states[id] == INACTIVE) {
                held.add(hashes[id]);
            }
        }
        return held;
    }

    private void dropRegistration(int id) {
        RegistrationHandle handle = registrations[id];
        registrations[id] = null;
        if (handle != null) {
            handle.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // state bookkeeping

    /**
     * Back to the builder's default. Written only if it differs: the flag is almost always the default already, and
     * a store that changes nothing leaves the cache line shared instead of pulling it to this core.
     */
    private void resetEvictOnRelease(int id) {
        if (evictOnRelease[id] != defaultEvictOnRelease) {
            evictOnRelease[id] = defaultEvictOnRelease;
        }
    }

    private void move(int id, byte from, byte to) {
        requireState(id, from);
        states[id] = to;
        stateCounts[from]--;
        stateCounts[to]++;
    }

    private void requireState(int id, byte expected) {
        if (states[id] != expected) {
            throw new IllegalStateException(
                    "block " + id + " is " + describe(id) + ", expected " + STATE_NAMES[expected]);
        }
    }

    private void publishPools() {
        int reset = free.size();
        int cached = inactive.size();
        counters.set(StoreCounters.RESET_POOL, reset);
        counters.set(StoreCounters.INACTIVE_POOL, cached);
        counters.set(StoreCounters.AVAILABLE, reset + cached);
    }

    String describe(int id) {
        SequenceHash hash = hashes[id];
        return STATE_NAMES[states[id]] + (hash == null ? "" : " (" + hash + ")");
    }

    int count(byte state) {
        return stateCounts[state];
    }

    /** Returns the violated invariants, empty when the store is consistent. Linear in the block count. */
    List<String> audit() {
        List<String> violations = new ArrayList<>();
        int[] counted = new int[6];
        for (int id = 0; id < totalBlocks; id++) {
            counted[states[id]]++;
        }
        for (int s = 0; s < counted.length; s++) {
            if (counted[s] != stateCounts[s]) {
                violations.add(STATE_NAMES[s] + " count is " + stateCounts[s] + " but " + counted[s] + " slots are");
            }
        }
        boolean[] seen = new boolean[totalBlocks];
        for (int i = 0; i < free.size(); i++) {
            int id = free.peek(i);
            if (seen[id]) {
                violations.add("block " + id + " is twice in the reset pool");
            }
            seen[id] = true;
            if (states[id] != RESET) {
                violations.add("block " + id + " is in the reset pool but " + describe(id));
            }
        }
        if (free.size() != counted[RESET]) {
            violations.add("reset pool holds " + free.size() + " blocks but " + counted[RESET] + " slots are RESET");
        }
        if (inactive.size() != counted[INACTIVE]) {
            violations.add("inactive index holds " + inactive.size() + " blocks but " + counted[INACTIVE]
                    + " slots are INACTIVE");
        }
        if (activeByHash.size() != counted[PRIMARY]) {
            violations.add("active map holds " + activeByHash.size() + " hashes but " + counted[PRIMARY]
                    + " slots are PRIMARY");
        }
        activeByHash.forEach(entry -> {
            if (states[entry.blockId] != PRIMARY || entries[entry.blockId] != entry || entry.refs <= 0) {
                violations.add("active map entry " + entry.hash + " → block " + entry.blockId + " is stale: "
                        + describe(entry.blockId) + ", refs " + entry.refs);
            }
        });
        for (int id = 0; id < totalBlocks; id++) {
            byte s = states[id];
            boolean registered = s == PRIMARY || s == DUPLICATE || s == INACTIVE;
            if (registered != (registrations[id] != null)) {
                violations.add("block " + id + " is " + describe(id) + " but " + (registered ? "holds no" : "holds a")
                        + " registry handle");
            }
            if ((s == PRIMARY || s == DUPLICATE) != (entries[id] != null)) {
                violations.add("block " + id + " is " + describe(id) + " with entry " + entries[id]);
            }
            if (s == INACTIVE && !inactive.has(hashes[id])) {
                violations.add("block " + id + " is INACTIVE but its hash is not in the inactive index");
            }
            if (s == DUPLICATE && entries[id] != null) {
                ActiveEntry primary = entries[id].primary;
                if (primary == null || primary.refs <= 0 || activeByHash.get(primary.hash) != primary) {
                    violations.add("duplicate block " + id + " pins a primary that is not active");
                }
            }
            if (registered && registrations[id] != null && !registry.isPresent(hashes[id], tier)) {
                violations.add("block " + id + " is " + describe(id) + " but the registry says it is absent");
            }
        }
        if (counters.get(StoreCounters.RESET_POOL) != free.size()
                || counters.get(StoreCounters.INACTIVE_POOL) != inactive.size()
                || counters.get(StoreCounters.AVAILABLE) != available()
                || counters.get(StoreCounters.INFLIGHT_MUTABLE) != counted[MUTABLE]) {
            violations.add("published pool sizes are stale");
        }
        return violations;
    }
}
