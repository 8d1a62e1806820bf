package io.kvbm.manager;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.event.EmissionPolicy;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.event.EventStreamOverflowException;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.eviction.InactiveIndex;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Manages the logical lifecycle of a fixed set of KV-cache block slots of one storage tier.
 *
 * <p>Blocks move {@code Reset → Mutable → Complete → Registered}: {@link #allocate(int)} hands out
 * {@link MutableBlock}s, which the caller stages with a {@link SequenceHash} into {@link CompleteBlock}s and
 * {@link #register registers} as shared, deduplicated {@link ImmutableBlock}s. When the last handle of a registered
 * block is closed the block stays cached in the <em>inactive pool</em>, where {@link #match} and {@link #scan} find it
 * again, until an allocation that finds the reset pool empty evicts it according to the {@link EvictionPolicy}. Every
 * guard MUST be closed (or consumed) exactly once; see {@link io.kvbm.block} for what each {@code close()} does.
 *
 * <h2>Reactive contract</h2>
 *
 * Every {@link Mono} and {@link Flux} returned here is cold and lazy: nothing happens until subscription, and each
 * subscription is one independent operation. Arguments are validated when the method is called and invalid ones
 * throw at once ({@link IllegalArgumentException}, {@link NullPointerException}, or {@link IllegalStateException} for
 * a consumed guard); everything that happens later is signalled through {@code onError}. Values emitted are guards
 * that the subscriber owns and MUST close; values that are ready when a subscriber cancels are closed by the library.
 * A subscriber that throws from a signal (forbidden by Reactive Streams §2.13) is treated as cancelled and its
 * exception goes to {@code Hooks.onErrorDropped}; the value it was given stays its own, and the manager carries on.
 *
 * <h2>Threading</h2>
 *
 * All methods are thread-safe and non-blocking. State changes run one at a time in the manager's drain loop, on the
 * calling thread when the manager is idle and otherwise on whichever thread owns the loop at that moment; subscribers
 * are therefore signalled on the subscribing thread, on a thread that released blocks (waking a waiting allocation),
 * on another caller's thread, on the timer thread of {@link #allocate(int, Duration)}, or on the leak detector's
 * cleaner thread when it returns a leaked block. Use {@code publishOn} to move the work that follows to a scheduler
 * of your choice. Callbacks that re-enter the manager (closing a block from {@code onNext}) are queued, never recursed.
 *
 * <p>Two consequences. A call that finds the loop busy returns before its operation ran: after {@code close()} of a
 * guard returns, the accessors ({@link #availableBlocks()}...) may not show the release yet if another thread owns
 * the loop; they catch up as soon as it gets there, and subscribing to any operation of this manager observes it.
 * And a subscriber MUST NOT block waiting for this manager inside a signal of this manager (for example
 * {@code block()} on an allocation inside {@code onNext}): the operation it waits for is queued behind the signal that
 * is waiting, so it would never run.
 *
 * <h2>Allocation and backpressure</h2>
 *
 * {@link #allocate(int)} waits while fewer than {@code n} blocks are free (reset pool plus evictable inactive pool),
 * strictly in arrival order, and takes all {@code n} at once or nothing. At most
 * {@link Builder#maxPendingAllocations(int) maxPendingAllocations} may wait; more fail fast. Waiting has no built-in
 * timeout of its own: {@link #allocate(int, Duration)} bounds the wait inside the manager, or apply
 * {@code .timeout(...)}, whose cancellation removes the waiter without taking anything.
 */
public final class BlockManager {

    /** The largest supported block count. */
    public static final int MAX_BLOCK_COUNT = 1 << 24;

    private static final AtomicLong IDS = new AtomicLong();

    /**
     * Returns a builder for a manager.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private final long id;
    private final BlockStore store;
    private final DrainLoop loop;
    private final EvictionPolicy eviction;
    private final LeakDetection leakDetection;
    private final int maxPending;
    private final Mono<MutableBlock> allocateOne;
    private final long instanceId;
    private final ManagerEvents events;

    private BlockManager(Builder builder, BlockRegistry registry) {
        this.id = IDS.incrementAndGet();
        this.eviction = builder.eviction;
        this.leakDetection = builder.leakDetection;
        this.maxPending = builder.maxPendingAllocations;
        InactiveIndex index = eviction.newIndex(new EvictionPolicy.Context(
                builder.blockCount, registry.frequencyTracker(), registry.hasFrequencyTracking()));
        this.store = new BlockStore(
                builder.blockCount,
                builder.blockSize,
                builder.tier,
                builder.duplicationPolicy,
                registry,
                index,
                builder.evictOnRelease,
                new StoreCounters());
        this.loop = new DrainLoop(id, store, maxPending, leakDetection);
        this.instanceId = builder.instanceId == null ? id : builder.instanceId;
        this.events = new ManagerEvents(
                loop,
                instanceId,
                builder.tier,
                builder.emissionPolicy,
                builder.eventBatchSize,
                builder.eventWindow,
                builder.eventScheduler == null ? Schedulers.parallel() : builder.eventScheduler,
                builder.eventBufferSize);
        loop.events = events;
        store.events(events);
        this.allocateOne = AllocationRequest.AllocationMono.create(loop, 1, AllocationRequest.SINGLE, null);
    }

    // ---------------------------------------------------------------------------------------------------------
    // allocation

    /**
     * Allocates one block, waiting while none is free.
     *
     * <p>Subscribing requests one block; each subscription is one allocation. The block is taken from the reset pool
     * (the block freed longest ago) or, if the reset pool is empty, by evicting a cached block in policy order. Emits
     * the {@link MutableBlock}, which the subscriber owns and MUST close or stage, then completes.
     *
     * <p>Fails with {@link AllocationPendingLimitException} if it would have to wait behind
     * {@code maxPendingAllocations} others, and with {@link ManagerClosedException} if the manager is or becomes
     * closed while waiting. Cancelling while waiting takes nothing; cancelling while the block is being handed over
     * returns it; a block already emitted belongs to the subscriber. Signals arrive on the subscribing thread or on
     * the thread whose release made a block free.
     *
     * @return a lazy {@link Mono} of one block
     * @see #allocate(int)
     */
    public Mono<MutableBlock> allocate() {
        return allocateOne;
    }

    /**
     * Allocates {@code n} blocks at once, waiting while fewer than {@code n} are free.
     *
     * <p>Subscribing requests {@code n} blocks; each subscription is one all-or-nothing allocation. Waiting requests
     * are served strictly in arrival order: a waiting {@code allocate(4)} is never overtaken by a later
     * {@code allocate(1)}, so large requests cannot starve. Blocks come from the reset pool first, then by evicting
     * cached blocks in policy order. Emits an unmodifiable list of {@code n} {@link MutableBlock}s, which the
     * subscriber owns and MUST close or stage one by one, then completes; {@code n == 0} emits an empty list at once.
     *
     * <p>Fails with {@link AllocationPendingLimitException} or {@link ManagerClosedException} as {@link #allocate()}
     * does. Cancelling while waiting takes nothing; a cancel that races the hand-over returns all {@code n} blocks
     * exactly once. Signals arrive on the subscribing thread or on the thread whose release made the blocks free.
     *
     * @param n the number of blocks, in {@code [0, totalBlocks()]}
     * @return a lazy {@link Mono} of the blocks
     * @throws IllegalArgumentException if {@code n} is negative or larger than {@link #totalBlocks()}
     * @see #tryAllocate(int)
     * @see #withBlocks(int, Function)
     */
    public Mono<List<MutableBlock>> allocate(int n) {
        requireCount(n);
        return AllocationRequest.AllocationMono.create(loop, n, AllocationRequest.LIST, null);
    }

    /**
     * Allocates {@code n} blocks like {@link #allocate(int)}, waiting at most {@code maxWait}.
     *
     * <p>Unlike applying {@code .timeout(maxWait)} to {@link #allocate(int)}, the wait is timed inside the manager:
     * the timeout and the delivery are decided by the drain loop one after the other, so blocks are either delivered
     * or the request fails with {@link AllocationTimeoutException}, never both. (Reactor's {@code timeout} operator
     * drops, through {@code Hooks.onNextDropped}, a value that arrives in the instant its timer fires.) The timer runs
     * on {@link reactor.core.scheduler.Schedulers#parallel()}, so tests can drive it with virtual time. An allocation
     * served at once never starts a timer.
     *
     * @param n the number of blocks, in {@code [0, totalBlocks()]}
     * @param maxWait the longest time to wait in line, positive
     * @return a lazy {@link Mono} of the blocks
     * @throws IllegalArgumentException if {@code n} is out of range or {@code maxWait} is not positive
     */
    public Mono<List<MutableBlock>> allocate(int n, Duration maxWait) {
        requireCount(n);
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive, got " + maxWait);
        }
        return AllocationRequest.AllocationMono.create(loop, n, AllocationRequest.LIST, maxWait);
    }

    /**
     * Allocates {@code n} blocks if they are free now; never waits.
     *
     * <p>Like {@link #allocate(int)}, but completes empty instead of waiting when fewer than {@code n} blocks are free
     * or when other allocations are already waiting (it never overtakes them). Emits an unmodifiable list the
     * subscriber owns and MUST close, then completes. Fails with {@link ManagerClosedException} if the manager is
     * closed.
     *
     * @param n the number of blocks, in {@code [0, totalBlocks()]}
     * @return a lazy {@link Mono} of the blocks, or empty
     * @throws IllegalArgumentException if {@code n} is negative or larger than {@link #totalBlocks()}
     */
    public Mono<List<MutableBlock>> tryAllocate(int n) {
        requireCount(n);
        return AllocationRequest.AllocationMono.create(loop, n, AllocationRequest.TRY, null);
    }

    /**
     * Allocates {@code n} blocks like {@link #allocate(int)} and reports which cached hashes the allocation evicted.
     *
     * <p>Emits an {@link Allocation} whose blocks the subscriber owns and MUST close; its {@code evicted} list holds
     * the hashes of the cached blocks that were evicted for it, in eviction order (useful to keep an external index in
     * step). Waiting, errors, cancellation and threading are those of {@link #allocate(int)}.
     *
     * @param n the number of blocks, in {@code [0, totalBlocks()]}
     * @return a lazy {@link Mono} of the allocation
     * @throws IllegalArgumentException if {@code n} is negative or larger than {@link #totalBlocks()}
     */
    public Mono<Allocation> allocateWithEvictions(int n) {
        requireCount(n);
        return AllocationRequest.AllocationMono.create(loop, n, AllocationRequest.WITH_EVICTIONS, null);
    }

    /**
     * Allocates {@code n} blocks, runs {@code body} with them and closes them when the body's {@link Mono}
     * terminates or is cancelled.
     *
     * <p>The scoped form of {@link #allocate(int)}: blocks the body staged or registered are consumed and closing
     * them is a no-op, so the body may keep what it turned into {@link ImmutableBlock}s (it owns those) while
     * everything left mutable goes back to the reset pool on completion, error or cancellation.
     *
     * @param n the number of blocks, in {@code [0, totalBlocks()]}
     * @param body the work to run with the blocks
     * @param <R> the result type
     * @return a lazy {@link Mono} of the body's result
     * @throws IllegalArgumentException if {@code n} is negative or larger than {@link #totalBlocks()}
     */
    public <R> Mono<R> withBlocks(int n, Function<? super List<MutableBlock>, ? extends Mono<R>> body) {
        requireCount(n);
        Objects.requireNonNull(body, "body");
        return Mono.usingWhen(
                allocate(n), body, this::closeLater, (blocks, error) -> closeLater(blocks), this::closeLater);
    }

    private Mono<Void> closeLater(List<MutableBlock> blocks) {
        return Mono.fromRunnable(() -> closeAllMutable(blocks));
    }

    /**
     * Closes every block of {@code blocks}, with the effect of calling {@link MutableBlock#close()} on each in order,
     * at a fraction of the cost for large batches.
     *
     * <p>Blocks already closed or consumed are skipped, as {@code close()} would. The slots of this manager's blocks
     * go back to the reset pool together, in one step of the drain loop at the end (inline when the loop is idle,
     * else queued as one operation), instead of one step per block; blocks of other managers are closed one by one.
     * Like {@code close()}, it never blocks and may return before the slots are back if another thread owns the loop.
     *
     * @param blocks the blocks to close; no element may be null
     * @throws NullPointerException if the collection or an element is null (then nothing is closed)
     */
    public void closeAllMutable(Collection<? extends MutableBlock> blocks) {
        requireNoNulls(blocks, "blocks");
        loop.closeMutables(blocks);
    }

    /**
     * Closes every handle of {@code handles}, with the effect of calling {@link ImmutableBlock#close()} on each in
     * order, at a fraction of the cost for large batches (kvbm's {@code bulk_drop}).
     *
     * <p>Handles already closed are skipped, as {@code close()} would. A handle that is not its block's last reference
     * just drops it, as with {@code close()}; the blocks of this manager whose last reference is dropped here move to
     * the inactive pool (or the reset pool) together, in one step of the drain loop at the end, inline when the loop is
     * idle, else queued as one operation; handles of other managers are closed one by one. Like {@code close()}, it
     * never blocks and may return before the blocks have moved if another thread owns the loop.
     *
     * @param handles the handles to close; no element may be null
     * @throws NullPointerException if the collection or an element is null (then nothing is closed)
     */
    public void closeAll(Collection<? extends ImmutableBlock> handles) {
        requireNoNulls(handles, "handles");
        loop.closeHandles(handles);
    }

    private static void requireNoNulls(Collection<?> guards, String name) {
        Objects.requireNonNull(guards, name);
        int i = 0;
        for (Object guard : guards) {
            if (guard == null) {
                throw new NullPointerException(name + "[" + i + "]");
            }
            i++;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // registration

    /**
     * Registers a staged block, turning it into a shared {@link ImmutableBlock}.
     *
     * <p>Subscribing consumes {@code block} in the drain loop and registers its hash in this manager and in the
     * registry. If this manager already holds a block with the same hash (active, or cached and then brought back),
     * the {@link DuplicationPolicy} decides: {@code ALLOW} emits a handle to the new block as a duplicate;
     * {@code REJECT} emits a handle to the existing block (another block id) and returns the staged slot to the reset
     * pool. Emits the handle, which the subscriber owns and MUST close, then completes.
     *
     * <p>Fails with {@link IllegalStateException} if the block was consumed or closed before its turn, and with
     * {@link ManagerClosedException} if the manager is closed; the block is then not consumed and still belongs to
     * the caller. Cancelling before the registration runs leaves the block unconsumed; a handle ready when the
     * subscriber cancels is closed by the library. Signals arrive on the subscribing thread or on the loop owner's.
     *
     * @param block a live block staged by this manager
     * @return a lazy {@link Mono} of the registered block
     * @throws NullPointerException if {@code block} is null
     * @throws IllegalArgumentException if {@code block} belongs to another manager
     * @throws IllegalStateException if {@code block} is already consumed or closed
     * @see #registerAll(List)
     */
    public Mono<ImmutableBlock> register(CompleteBlock block) {
        ManagedCompleteBlock managed = own(block, "block");
        managed.requireLive("register");
        return StoreMono.create(
                loop,
                l -> {
                    l.requireOpen("register");
                    managed.consume("register");
                    return l.newHandle(store.register(managed.blockId(), managed.sequenceHash()));
                },
                ImmutableBlock::close);
    }

    /**
     * Registers several staged blocks in one step of the drain loop.
     *
     * <p>Like {@link #register(CompleteBlock)} for each block in order, atomically: either every block is consumed or
     * none is. A block whose hash appeared earlier in the same batch is deduplicated against that earlier block.
     * Emits an unmodifiable list of handles aligned with the input, which the subscriber owns and MUST close, then
     * completes; an empty input emits an empty list.
     *
     * @param blocks live blocks staged by this manager, each at most once
     * @return a lazy {@link Mono} of the registered blocks
     * @throws NullPointerException if the list or an element is null
     * @throws IllegalArgumentException if a block belongs to another manager or appears twice
     * @throws IllegalStateException if a block is already consumed or closed
     */
    public Mono<List<ImmutableBlock>> registerAll(List<CompleteBlock> blocks) {
        Objects.requireNonNull(blocks, "blocks");
        ManagedCompleteBlock[] managed = new ManagedCompleteBlock[blocks.size()];
        Map<ManagedCompleteBlock, Boolean> seen = new IdentityHashMap<>();
        for (int i = 0; i < managed.length; i++) {
            managed[i] = own(blocks.get(i), "blocks[" + i + "]");
            managed[i].requireLive("register");
            if (seen.put(managed[i], Boolean.TRUE) != null) {
                throw new IllegalArgumentException(
                        "blocks[" + i + "] (block " + managed[i].blockId() + ") appears twice in the batch");
            }
        }
        return StoreMono.create(
                loop,
                l -> {
                    l.requireOpen("register");
                    int consumed = 0;
                    try {
                        for (; consumed < managed.length; consumed++) {
                            managed[consumed].claim("register");
                        }
                    } catch (IllegalStateException e) {
                        for (int i = 0; i < consumed; i++) {
                            managed[i].unconsume(); // still leak-tracked: claim() left the tracker armed
                        }
                        throw e;
                    }
                    for (ManagedCompleteBlock block : managed) {
                        block.disarm();
                    }
                    ImmutableBlock[] handles = new ImmutableBlock[managed.length];
                    Throwable stack = l.sampleBatch();
                    for (int i = 0; i < managed.length; i++) {
                        handles[i] =
                                l.newHandle(store.register(managed[i].blockId(), managed[i].sequenceHash()), stack);
                    }
                    return List.of(handles);
                },
                handles -> handles.forEach(ImmutableBlock::close));
    }

    // ---------------------------------------------------------------------------------------------------------
    // lookup

    /**
     * Finds the longest cached prefix of {@code hashes}: the registered blocks of the leading hashes this manager
     * holds, stopping at the first hash it does not hold.
     *
     * <p>Subscribing performs one atomic lookup in the drain loop, whatever the demand; each subscription is one
     * lookup. Active blocks are shared (a new handle to the same block); cached blocks are brought back from the
     * inactive pool. Each hit counts as one access for the registry's frequency tracker. Emits one
     * {@link ImmutableBlock} per hit, in input order, honouring backpressure; each emitted handle belongs to the
     * subscriber, which MUST close it. Completes after the last hit (at once if the first hash misses).
     *
     * <p>Fails with {@link ManagerClosedException} if the manager is closed. On cancellation, handles not yet
     * emitted are closed by the library. Signals arrive on the subscribing thread, on a requesting thread, or on the
     * loop owner's.
     *
     * @param hashes the hashes of a sequence's blocks, in order
     * @return a lazy {@link Flux} of the matched blocks
     * @throws NullPointerException if the list or an element is null
     * @see #scan(List)
     */
    public Flux<ImmutableBlock> match(List<SequenceHash> hashes) {
        return MatchFlux.create(loop, copyHashes(hashes));
    }

    /**
     * Finds every cached block among {@code hashes}, without stopping at a miss; each hit counts as an access for the
     * frequency tracker.
     *
     * @param hashes the hashes to look up, in any order; repeats are looked up once
     * @return a lazy {@link Mono} of the hits, keyed by hash in input order
     * @throws NullPointerException if the list or an element is null
     * @see #scan(List, boolean)
     */
    public Mono<Map<SequenceHash, ImmutableBlock>> scan(List<SequenceHash> hashes) {
        return scan(hashes, true);
    }

    /**
     * Finds every cached block among {@code hashes}, without stopping at a miss.
     *
     * <p>Subscribing performs one atomic lookup in the drain loop; each subscription is one lookup. Active blocks are
     * shared and cached blocks are brought back from the inactive pool, as in {@link #match}. Emits an unmodifiable
     * map from hash to handle, in input order, holding only the hits; the subscriber owns every handle in it and MUST
     * close each. Fails with {@link ManagerClosedException} if the manager is closed. If the subscriber cancels while
     * the lookup runs, the handles are closed by the library.
     *
     * @param hashes the hashes to look up, in any order; repeats are looked up once
     * @param touch whether each hit counts as an access for the registry's frequency tracker
     * @return a lazy {@link Mono} of the hits
     * @throws NullPointerException if the list or an element is null
     */
    public Mono<Map<SequenceHash, ImmutableBlock>> scan(List<SequenceHash> hashes, boolean touch) {
        SequenceHash[] copy = copyHashes(hashes);
        return StoreMono.create(
                loop,
                l -> {
                    l.requireOpen("scan");
                    Map<SequenceHash, ImmutableBlock> hits = new LinkedHashMap<>();
                    Throwable stack = l.sampleBatch();
                    for (SequenceHash hash : copy) {
                        if (hits.containsKey(hash)) {
                            continue;
                        }
                        ActiveEntry entry = store.acquire(hash);
                        if (entry != null) {
                            hits.put(hash, l.newHandle(entry, stack));
                            if (touch) {
                                store.registry.touch(hash);
                            }
                        }
                    }
                    store.counters.add(StoreCounters.SCAN_HASHES_REQUESTED, copy.length);
                    store.counters.add(StoreCounters.SCAN_BLOCKS_RETURNED, hits.size());
                    return Collections.unmodifiableMap(hits);
                },
                hits -> hits.values().forEach(ImmutableBlock::close));
    }

    // ---------------------------------------------------------------------------------------------------------
    // events

    /**
     * Returns the hot stream of this tier's cache events, batched.
     *
     * <p>Subscribing connects the subscriber between two batches; it receives every batch closed after that, in
     * {@code seq} order without gaps, and nothing from before (use {@link #eventsWithSnapshot()} to learn the current
     * content first). Each subscription is independent. A {@link EventKind#STORED} batch names hashes that became
     * held by this tier, {@link EventKind#REMOVED} and {@link EventKind#CLEARED} hashes that stopped being held;
     * releasing a block into the inactive pool is not a removal. Batches hold one kind, at most
     * {@link Builder#eventBatching(int, Duration) eventBatchSize} hashes, and are closed on a kind switch, on size and
     * every event window; hashes are filtered by the {@link Builder#emissionPolicy(EmissionPolicy) emission policy}.
     *
     * <ul>
     *   <li>Multicast: every subscriber gets every batch closed while it is subscribed.
     *   <li>Without subscriber: events are not even accumulated, and {@code seq} does not advance.
     *   <li>Backpressure: each subscriber has its own buffer of {@link Builder#eventBufferSize(int) eventBufferSize}
     *       events; a subscriber that falls further behind is terminated with {@link EventStreamOverflowException} and
     *       nobody else is affected. The manager never waits for a subscriber and never drops an event silently.
     *   <li>Replaying: no.
     *   <li>Completion: after the {@link EventKind#SHUTDOWN} batch when the manager closes; a subscription made after
     *       that completes at once.
     *   <li>Threading: batches are delivered from the drain loop (any thread that operates on the manager, or the
     *       event scheduler's tick) or on the thread that requests.
     * </ul>
     *
     * @return the hot event stream
     */
    public Flux<EventBatch> events() {
        return EventFlux.create(loop, events, false);
    }

    /**
     * Returns the event stream preceded by a snapshot of what this tier holds when the subscription is connected.
     *
     * <p>The first batch is a {@link EventKind#CLEARED} batch without hashes (forget what you knew about this tier),
     * followed by {@link EventKind#STORED} batches naming every hash the tier holds (active or cached, filtered by the
     * emission policy); all of them carry the {@code seq} of the last batch closed before the snapshot (−1 if none).
     * Then the live stream continues with the next {@code seq}, exactly as {@link #events()}: snapshot and live stream
     * are taken in the same step of the drain loop, so nothing is missed and nothing is repeated. The snapshot
     * counts against the subscriber's buffer like any other batch.
     *
     * @return the snapshot, then the hot event stream
     */
    public Flux<EventBatch> eventsWithSnapshot() {
        return EventFlux.create(loop, events, true);
    }

    /**
     * Returns the worker id stamped on this manager's event batches.
     *
     * @return the instance id
     */
    public long instanceId() {
        return instanceId;
    }

    // ---------------------------------------------------------------------------------------------------------
    // maintenance

    /**
     * Drops every cached block of the inactive pool into the reset pool.
     *
     * <p>Subscribing drains the inactive pool in one step of the drain loop; blocks held by anyone are unaffected.
     * The dropped hashes leave this tier (their presence in the registry is cleared). Emits the number of blocks
     * dropped, then completes. Works on a closed manager too.
     *
     * @return a lazy {@link Mono} of the number of blocks dropped
     */
    public Mono<Integer> resetInactive() {
        return StoreMono.create(loop, l -> l.store.resetInactive().size(), n -> {});
    }

    /**
     * Closes the manager.
     *
     * <p>Subscribing, in one step of the drain loop: fails every waiting allocation with
     * {@link ManagerClosedException}, drops the inactive pool, and refuses every later allocation, registration and
     * lookup with {@link ManagerClosedException}. Blocks still held stay valid and MUST still be closed: their
     * releases return them to the (closed) manager's pools as usual. Completes when done. Idempotent, like
     * {@link reactor.core.Disposable#dispose()}: closing a closed manager completes at once and does nothing.
     *
     * @return a lazy {@link Mono} that completes once the manager is closed
     */
    public Mono<Void> close() {
        return StoreMono.create(
                loop,
                l -> {
                    l.shutdown();
                    return null;
                },
                x -> {});
    }

    /**
     * Returns whether {@link #close()} has completed.
     *
     * @return {@code true} once the manager is closed
     */
    public boolean isClosed() {
        return loop.isClosed();
    }

    // ---------------------------------------------------------------------------------------------------------
    // accessors

    /**
     * Returns the number of block slots; constant.
     *
     * @return the block count
     */
    public int totalBlocks() {
        return store.totalBlocks;
    }

    /**
     * Returns the number of blocks an allocation could take now: the reset pool plus the inactive pool, read as one
     * value (never a sum of two readings taken at different instants).
     *
     * @return the available block count
     */
    public int availableBlocks() {
        return (int) store.counters.get(StoreCounters.AVAILABLE);
    }

    /**
     * Returns the number of blocks in the reset pool.
     *
     * @return the reset pool size
     */
    public int resetBlocks() {
        return (int) store.counters.get(StoreCounters.RESET_POOL);
    }

    /**
     * Returns the number of cached blocks in the inactive pool.
     *
     * @return the inactive pool size
     */
    public int inactiveBlocks() {
        return (int) store.counters.get(StoreCounters.INACTIVE_POOL);
    }

    /**
     * Returns the number of allocations waiting for blocks.
     *
     * @return the pending allocation count
     */
    public int pendingAllocations() {
        return (int) store.counters.get(StoreCounters.PENDING);
    }

    /**
     * Returns the number of tokens per block.
     *
     * @return the block size
     */
    public int blockSize() {
        return store.blockSize;
    }

    /**
     * Returns the tier this manager's blocks belong to.
     *
     * @return the tier
     */
    public StorageTier tier() {
        return store.tier;
    }

    /**
     * Returns the process-unique id of this manager, never 0.
     *
     * @return the manager id
     */
    public long id() {
        return id;
    }

    /**
     * Returns the duplication policy.
     *
     * @return the policy
     */
    public DuplicationPolicy duplicationPolicy() {
        return store.duplicationPolicy;
    }

    /**
     * Returns the eviction policy.
     *
     * @return the policy
     */
    public EvictionPolicy evictionPolicy() {
        return eviction;
    }

    /**
     * Returns the registry this manager registers its blocks in.
     *
     * @return the registry, possibly shared with managers of other tiers
     */
    public BlockRegistry registry() {
        return store.registry;
    }

    /**
     * Returns a snapshot of the manager's counters and pool sizes.
     *
     * @return the statistics; each value is read independently
     */
    public BlockManagerStats stats() {
        StoreCounters c = store.counters;
        return new BlockManagerStats(
                c.get(StoreCounters.ALLOCATIONS),
                c.get(StoreCounters.ALLOCATIONS_FROM_RESET),
                c.get(StoreCounters.EVICTIONS),
                c.get(StoreCounters.REGISTRATIONS),
                c.get(StoreCounters.DUPLICATE_BLOCKS),
                c.get(StoreCounters.REGISTRATION_DEDUP),
                c.get(StoreCounters.STAGINGS),
                c.get(StoreCounters.MATCH_HASHES_REQUESTED),
                c.get(StoreCounters.MATCH_BLOCKS_RETURNED),
                c.get(StoreCounters.SCAN_HASHES_REQUESTED),
                c.get(StoreCounters.SCAN_BLOCKS_RETURNED),
                c.get(StoreCounters.LEAKED_BLOCKS),
                c.get(StoreCounters.INFLIGHT_MUTABLE),
                loop.inflightImmutable(),
                c.get(StoreCounters.RESET_POOL),
                c.get(StoreCounters.INACTIVE_POOL),
                c.get(StoreCounters.PENDING),
                c.get(StoreCounters.ALLOCATE_ROLLBACKS),
                c.get(StoreCounters.EVENT_SUBSCRIBERS_DROPPED));
    }

    @Override
    public String toString() {
        return "BlockManager[id=" + id + ", tier=" + store.tier + ", blocks=" + store.totalBlocks + ", blockSize="
                + store.blockSize + ", available=" + availableBlocks() + ", eviction=" + eviction.name()
                + ", duplication=" + store.duplicationPolicy + (isClosed() ? ", closed]" : "]");
    }

    // ---------------------------------------------------------------------------------------------------------
    // internals shared with tests

    /** Checks the store's invariants in the drain loop; emits the violations (empty if consistent). */
    Mono<List<String>> audit() {
        return StoreMono.create(
                loop,
                l -> {
                    List<String> violations = new ArrayList<>(store.audit());
                    if (l.internalErrors() != 0) {
                        violations.add(l.internalErrors() + " internal error(s) in the drain loop");
                    }
                    if (l.inflightImmutable() < 0) {
                        violations.add("inflight immutable count is negative: " + l.inflightImmutable());
                    }
                    return violations;
                },
                v -> {});
    }

    /** Returns the number of slots per state: RESET, MUTABLE, STAGED, PRIMARY, DUPLICATE, INACTIVE. */
    Mono<int[]> stateCounts() {
        return StoreMono.create(
                loop,
                l -> new int[] {
                    store.count(BlockStore.RESET),
                    store.count(BlockStore.MUTABLE),
                    store.count(BlockStore.STAGED),
                    store.count(BlockStore.PRIMARY),
                    store.count(BlockStore.DUPLICATE),
                    store.count(BlockStore.INACTIVE)
                },
                v -> {});
    }

    private void requireCount(int n) {
        if (n < 0 || n > store.totalBlocks) {
            throw new IllegalArgumentException("n must be in [0, totalBlocks=" + store.totalBlocks + "], got " + n);
        }
    }

    private ManagedCompleteBlock own(CompleteBlock block, String name) {
        Objects.requireNonNull(block, name);
        if (!(block instanceof ManagedCompleteBlock)) {
            throw new IllegalArgumentException(
                    name + " is a " + block.getClass().getName() + ", not a CompleteBlock staged by a BlockManager");
        }
        ManagedCompleteBlock managed = (ManagedCompleteBlock) block;
        if (managed.owner != loop) {
            throw new IllegalArgumentException(name + " (block " + managed.blockId() + ") belongs to manager "
                    + managed.owner.id + ", not to manager " + id);
        }
        return managed;
    }

    private static SequenceHash[] copyHashes(List<SequenceHash> hashes) {
        Objects.requireNonNull(hashes, "hashes");
        SequenceHash[] copy = hashes.toArray(new SequenceHash[0]);
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] == null) {
                // the message is built only here: a per-element "hashes[" + i + "]" cost a string per hash
                throw new NullPointerException("hashes[" + i + "]");
            }
        }
        return copy;
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Builds a {@link BlockManager}. Setters validate their argument at once and document their default; not
     * thread-safe.
     */
    public static final class Builder {

        private int blockCount = -1;
        private int blockSize = 16;
        private StorageTier tier = StorageTier.G1;
        private @Nullable BlockRegistry registry;
        private DuplicationPolicy duplicationPolicy = DuplicationPolicy.ALLOW;
        private EvictionPolicy eviction = EvictionPolicy.lineage();
        private int maxPendingAllocations = 1024;
        private LeakDetection leakDetection = LeakDetection.SAMPLED;
        private boolean evictOnRelease;
        private @Nullable Long instanceId;
        private EmissionPolicy emissionPolicy = EmissionPolicy.all();
        private int eventBatchSize = 1024;
        private Duration eventWindow = Duration.ofMillis(10);
        private @Nullable Scheduler eventScheduler;
        private int eventBufferSize = 8192;
        private @Nullable Function<? super BlockManager, ? extends MetricsRecorder> metrics;

        private Builder() {}

        /**
         * Binds the manager to a metrics system when it is built: {@link #build()} calls {@code binder} once with the
         * new manager, before returning it, and uses the returned {@link MetricsRecorder} for the measurements that
         * cannot be read later (how long waiting allocations waited). The binder registers whatever reads the
         * manager's counters and pool sizes at scrape time ({@link BlockManager#stats()}); nothing is recorded on the
         * allocation, registration or lookup paths. Default: none.
         *
         * <p>With Micrometer, {@code io.kvbm.metrics.KvbmMetrics.binder(meterRegistry, tags)} is such a binder (the
         * {@code meterRegistry} option of the design, kept free of Micrometer types so that the manager works
         * without Micrometer on the class path).
         *
         * @param binder called once with the built manager; returns its recorder
         * @return this builder
         */
        public Builder metrics(Function<? super BlockManager, ? extends MetricsRecorder> binder) {
            this.metrics = Objects.requireNonNull(binder, "metrics");
            return this;
        }

        /**
         * Sets the worker id stamped on event batches, shared by the managers of every tier of one worker so that a
         * router can attribute their events. Default: this manager's {@link BlockManager#id()}.
         *
         * @param instanceId the worker id
         * @return this builder
         */
        public Builder instanceId(long instanceId) {
            this.instanceId = instanceId;
            return this;
        }

        /**
         * Sets which hashes produce events. Default {@link EmissionPolicy#all()}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder emissionPolicy(EmissionPolicy policy) {
            this.emissionPolicy = Objects.requireNonNull(policy, "emissionPolicy");
            return this;
        }

        /**
         * Sets how events are batched: at most {@code maxBatchSize} hashes per batch, and the open batch is closed
         * every {@code window}. Default 1024 and 10 ms (kvbm's batcher).
         *
         * @param maxBatchSize at least 1
         * @param window positive
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder eventBatching(int maxBatchSize, Duration window) {
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("eventBatchSize must be positive, got " + maxBatchSize);
            }
            Objects.requireNonNull(window, "window");
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("eventWindow must be positive, got " + window);
            }
            this.eventBatchSize = maxBatchSize;
            this.eventWindow = window;
            return this;
        }

        /**
         * Sets the scheduler of the event window's timer and of batch timestamps. Default
         * {@link Schedulers#parallel()}; tests pass a {@code VirtualTimeScheduler}.
         *
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder eventScheduler(Scheduler scheduler) {
            this.eventScheduler = Objects.requireNonNull(scheduler, "eventScheduler");
            return this;
        }

        /**
         * Sets each event subscriber's buffer, in events (hashes); a subscriber that falls further behind is
         * terminated with {@link EventStreamOverflowException}. Default 8192.
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
         * Sets the number of block slots. Required.
         *
         * @param blockCount in {@code [1, 16777216]}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder blockCount(int blockCount) {
            if (blockCount < 1 || blockCount > MAX_BLOCK_COUNT) {
                throw new IllegalArgumentException(
                        "blockCount must be in [1, " + MAX_BLOCK_COUNT + "], got " + blockCount);
            }
            this.blockCount = blockCount;
            return this;
        }

        /**
         * Sets the number of tokens per block. Default 16.
         *
         * @param blockSize a power of two in {@code [1, 1024]}
         * @return this builder
         * @throws IllegalArgumentException otherwise
         */
        public Builder blockSize(int blockSize) {
            if (blockSize < 1 || blockSize > 1024 || Integer.bitCount(blockSize) != 1) {
                throw new IllegalArgumentException("blockSize must be a power of two in [1, 1024], got " + blockSize);
            }
            this.blockSize = blockSize;
            return this;
        }

        /**
         * Sets the tier of the blocks. Default {@link StorageTier#G1}.
         *
         * @param tier the tier
         * @return this builder
         */
        public Builder tier(StorageTier tier) {
            this.tier = Objects.requireNonNull(tier, "tier");
            return this;
        }

        /**
         * Sets the registry, typically shared by the managers of every tier of a worker. Default: a private registry
         * without frequency tracking.
         *
         * @param registry the registry
         * @return this builder
         */
        public Builder registry(BlockRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Sets what registering an already-held hash does. Default {@link DuplicationPolicy#ALLOW}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder duplicationPolicy(DuplicationPolicy policy) {
            this.duplicationPolicy = Objects.requireNonNull(policy, "duplicationPolicy");
            return this;
        }

        /**
         * Sets the eviction policy of the inactive pool. Default {@link EvictionPolicy#lineage()}: evict only blocks no
         * cached block descends from, so cached prefixes are consumed from their tails. A policy that reads access
         * frequencies ({@link EvictionPolicy#multiLru()}) needs a {@link #registry(BlockRegistry) registry} with a
         * frequency tracker; {@link #build()} fails otherwise.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder eviction(EvictionPolicy policy) {
            this.eviction = Objects.requireNonNull(policy, "eviction");
            return this;
        }

        /**
         * Sets how many allocations may wait for blocks at once; more fail with
         * {@link AllocationPendingLimitException}. 0 makes every allocation that cannot be served at once fail.
         * Default 1024.
         *
         * @param max at least 0
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxPendingAllocations(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxPendingAllocations must be >= 0, got " + max);
            }
            this.maxPendingAllocations = max;
            return this;
        }

        /**
         * Sets how guards that are never closed are detected and returned. Default {@link LeakDetection#SAMPLED}.
         *
         * @param level the level
         * @return this builder
         */
        public Builder leakDetection(LeakDetection level) {
            this.leakDetection = Objects.requireNonNull(level, "leakDetection");
            return this;
        }

        /**
         * Sets the default of every block's evict-on-release flag: {@code true} sends released blocks to the reset
         * pool instead of caching them (see {@link ImmutableBlock#evictOnRelease(boolean)}). Default {@code false}.
         *
         * @param evict the default
         * @return this builder
         */
        public Builder evictOnRelease(boolean evict) {
            this.evictOnRelease = evict;
            return this;
        }

        /**
         * Builds the manager.
         *
         * @return a new manager with every block in the reset pool
         * @throws IllegalArgumentException if {@link #blockCount(int)} was not set, or if the eviction policy needs
         *     frequency tracking and the registry has none
         */
        public BlockManager build() {
            if (blockCount < 1) {
                throw new IllegalArgumentException("blockCount is required: call blockCount(n) with n >= 1");
            }
            BlockManager manager = new BlockManager(this, registry == null ? BlockRegistry.create() : registry);
            if (metrics != null) {
                manager.loop.recorder =
                        Objects.requireNonNull(metrics.apply(manager), "the metrics binder returned null");
            }
            return manager;
        }
    }
}
