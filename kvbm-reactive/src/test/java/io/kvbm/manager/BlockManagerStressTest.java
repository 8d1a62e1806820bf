package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.WeakBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Four workers hammer one small manager with random operations on {@link Schedulers#parallel()} threads (checked by
 * BlockHound), for every eviction × duplication policy; at the end every guard is closed and the books must balance.
 *
 * <p>Each worker is a non-blocking chain ({@code Flux.range(...).concatMap(step)}): a step is one operation whose
 * {@link Mono} completes when the operation did, so a worker never blocks a thread, and it may continue on whichever
 * thread delivered its last result (often another worker's, inside the drain loop). Waiting allocations are bounded by
 * a short real {@code timeout(...)} or cancelled by a later step, so workers holding blocks cannot deadlock.
 *
 * <p>Block ids handed out as {@code MutableBlock}/{@code CompleteBlock} are claimed in a shared map: a slot handed to
 * two live guards at once fails the worker at once. Each worker has its own {@link SplittableRandom}; the seeds are in
 * every assertion message. Rerunning with {@code -Dkvbm.stress.seed=...} replays each worker's choices; the thread
 * interleavings, and so the outcomes of waits and timeouts, differ from run to run.
 *
 * <p>Allocations wait behind {@code .timeout(...)} or {@code allocate(n, maxWait)}; one detached allocation in eight is
 * received by a subscriber that throws from {@code onNext} after keeping the blocks (Reactive Streams §2.13 violated on
 * purpose): the manager must neither count it as an internal error nor lose anything.
 *
 * <p>{@code .timeout(...)} can drop a block delivered exactly as it fires (see {@code AllocationTimeoutHazardTest}):
 * this test installs an {@code onNextDropped} hook that closes and counts such blocks, so the books stay balanced.
 */
class BlockManagerStressTest {

    private static final int WORKERS = 4;
    private static final int OPS_PER_WORKER = Integer.getInteger("kvbm.stress.ops", 50_000);
    private static final int BLOCKS = 20;
    /** Slots a worker may hold before it must release; 4 × 8 > 20, so allocations wait and the cache is evicted. */
    private static final int MAX_HELD = 8;

    private static final List<List<SequenceHash>> CHAINS =
            List.of(TestTokens.chain(1_000, 5), TestTokens.chain(2_000, 5), TestTokens.chain(3_000, 4));
    private static final List<SequenceHash> UNIVERSE =
            CHAINS.stream().flatMap(List::stream).toList();

    private final AtomicLong droppedBlocks = new AtomicLong();
    private final AtomicLong unexpectedDropped = new AtomicLong();

    static Stream<Arguments> policies() {
        return Stream.of(
                Arguments.of("lru", DuplicationPolicy.ALLOW),
                Arguments.of("lru", DuplicationPolicy.REJECT),
                Arguments.of("fifo", DuplicationPolicy.ALLOW),
                Arguments.of("fifo", DuplicationPolicy.REJECT));
    }

    @BeforeEach
    void closeDroppedGuards() {
        Hooks.onNextDropped(value -> {
            droppedBlocks.addAndGet(closeAny(value));
        });
        // the exceptions of the throwing subscribers (only those: anything else fails the run)
        Hooks.onErrorDropped(e -> {
            if (!"subscriber bug (thrown on purpose)".equals(e.getMessage())) {
                unexpectedDropped.incrementAndGet();
            }
        });
    }

    @AfterEach
    void resetHook() {
        Hooks.resetOnNextDropped();
        Hooks.resetOnErrorDropped();
        assertThat(unexpectedDropped.get())
                .as("errors dropped other than the throwing subscribers'")
                .isZero();
    }

    @ParameterizedTest(name = "{0} × {1}")
    @MethodSource("policies")
    void randomOperations_fourWorkersOnParallel_everythingReturnedAndBooksBalance(
            String eviction, DuplicationPolicy duplication) {
        long baseSeed = Long.getLong("kvbm.stress.seed", System.nanoTime());
        EvictionPolicy policy = eviction.equals("lru") ? EvictionPolicy.lru() : EvictionPolicy.fifo();
        Result result = hammer(policy, duplication, OPS_PER_WORKER, baseSeed, droppedBlocks, Duration.ofSeconds(60));
        System.out.printf(
                "stress %s: %d ops in %d ms; %d timeouts, %d cancels, %d throwing subscribers, %d blocks dropped by"
                        + " timeout; %s%n",
                result.seeds,
                result.ops,
                result.millis,
                result.timeouts,
                result.cancels,
                result.throwingSubscribers,
                droppedBlocks.get(),
                result.stats);
    }

    /** What one {@link #hammer} run did. */
    record Result(
            String seeds,
            long ops,
            long millis,
            long timeouts,
            long cancels,
            long throwingSubscribers,
            BlockManagerStats stats) {}

    /**
     * Runs {@link #WORKERS} workers of {@code opsPerWorker} random operations each against a new manager of
     * {@link #BLOCKS} blocks, waits until every cancelled allocation settled, closes what arrived late, and checks
     * that the books balance: nothing held, nothing leaked, the audit clean, the counters consistent. Shared with
     * {@code BlockManagerSoakTest}.
     */
    static Result hammer(
            EvictionPolicy policy,
            DuplicationPolicy duplication,
            int opsPerWorker,
            long baseSeed,
            AtomicLong droppedBlocks,
            Duration limit) {
        BlockManager m = TestManagers.create(
                BLOCKS, b -> b.duplicationPolicy(duplication).eviction(policy).maxPendingAllocations(64));
        ConcurrentHashMap<Integer, Integer> exclusive = new ConcurrentHashMap<>();
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            workers.add(new Worker(i, baseSeed + i, m, exclusive, opsPerWorker));
        }
        String seeds = "seed " + baseSeed + " (workers seeded " + baseSeed + ".." + (baseSeed + WORKERS - 1) + "), "
                + policy.name() + " × " + duplication;

        long start = System.nanoTime();
        StepVerifier.create(Flux.merge(workers.stream().map(Worker::run).toList()))
                .expectComplete()
                .verify(limit);

        // A cancelled allocation may have lost the cancel race and be handing its blocks over right now: wait (on
        // the test thread) until each is either terminated or really cancelled, then take what arrived.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (Worker w : workers) {
            while (!w.quiescent() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(100_000);
            }
            assertThat(w.quiescent())
                    .as("%s: worker %d's allocations settled", seeds, w.index)
                    .isTrue();
            w.closeInbox();
        }
        long millis = (System.nanoTime() - start) / 1_000_000;

        BlockManagerStats stats = m.stats();
        String description = seeds + ": " + stats + ", dropped by timeout " + droppedBlocks.get();
        assertThat(StoreAudit.violations(m)).as(description).isEmpty();
        assertThat(exclusive).as("%s: no block claimed at the end", description).isEmpty();
        assertThat(m.resetBlocks() + m.inactiveBlocks()).as(description).isEqualTo(BLOCKS);
        assertThat(stats.inflightImmutable()).as(description).isZero();
        assertThat(stats.inflightMutable()).as(description).isZero();
        assertThat(stats.pendingAllocations()).as(description).isZero();
        assertThat(stats.allocations()).as(description).isEqualTo(stats.allocationsFromReset() + stats.evictions());
        assertThat(stats.leakedBlocks())
                .as("%s: no guard was lost (the leak detector returned none)", description)
                .isZero();
        long registered = workers.stream().mapToLong(w -> w.registered).sum();
        long matchHashes = workers.stream().mapToLong(w -> w.matchHashes).sum();
        long scanHashes = workers.stream().mapToLong(w -> w.scanHashes).sum();
        assertThat(stats.registrations()).as(description).isEqualTo(registered);
        assertThat(stats.matchHashesRequested()).as(description).isEqualTo(matchHashes);
        assertThat(stats.scanHashesRequested()).as(description).isEqualTo(scanHashes);
        if (duplication == DuplicationPolicy.ALLOW) {
            assertThat(stats.registrationDedup()).as(description).isZero();
        } else {
            assertThat(stats.duplicateBlocks()).as(description).isZero();
        }
        assertThat(stats.stagings()).as(description).isGreaterThan(0);
        assertThat(stats.evictions()).as("%s: the cache was used", description).isGreaterThan(0);
        assertThat(stats.matchBlocksReturned()).as(description).isGreaterThan(0);

        return new Result(
                seeds,
                (long) WORKERS * opsPerWorker,
                millis,
                workers.stream().mapToLong(w -> w.timeouts).sum(),
                workers.stream().mapToLong(w -> w.cancels).sum(),
                workers.stream().mapToLong(w -> w.throwing).sum(),
                stats);
    }

    /** Closes whatever guards {@code value} holds; returns how many. */
    static int closeAny(@Nullable Object value) {
        if (value instanceof AutoCloseable) {
            try {
                ((AutoCloseable) value).close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return 1;
        }
        if (value instanceof Allocation) {
            return closeAny(((Allocation) value).blocks());
        }
        if (value instanceof Map) {
            return closeAny(new ArrayList<>(((Map<?, ?>) value).values()));
        }
        if (value instanceof List) {
            int n = 0;
            for (Object o : (List<?>) value) {
                n += closeAny(o);
            }
            return n;
        }
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------

    /** One worker: its guards are touched only by its own steps (one at a time) or arrive through its inbox. */
    static final class Worker {

        final int index;
        final long seed;
        final SplittableRandom random;
        final BlockManager m;
        final ConcurrentHashMap<Integer, Integer> exclusive;

        final List<MutableBlock> mutables = new ArrayList<>();
        final List<CompleteBlock> completes = new ArrayList<>();
        final List<ImmutableBlock> immutables = new ArrayList<>();
        final List<WeakBlock> weaks = new ArrayList<>();
        /** allocations this worker will cancel in a later step; what they deliver lands in the inbox */
        final List<InboxSubscriber> detached = new ArrayList<>();

        final List<InboxSubscriber> cancelled = new ArrayList<>();
        final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();

        long registered;
        long matchHashes;
        long scanHashes;
        long timeouts;
        long cancels;
        long throwing;
        int step;
        final int ops;

        Worker(int index, long seed, BlockManager m, ConcurrentHashMap<Integer, Integer> exclusive, int ops) {
            this.index = index;
            this.ops = ops;
            this.seed = seed;
            this.random = new SplittableRandom(seed);
            this.m = m;
            this.exclusive = exclusive;
        }

        Flux<Void> run() {
            return Flux.range(0, ops)
                    .concatMap(i -> Mono.defer(() -> {
                                step = i;
                                return step();
                            })
                            .then())
                    .concatWith(Mono.fromRunnable(this::closeEverything))
                    .subscribeOn(Schedulers.parallel())
                    .onErrorMap(e -> new AssertionError(
                            "worker " + index + " (seed " + seed + ") failed at step " + step + ": " + e, e));
        }

        private Mono<?> step() {
            takeInbox();
            if (!detached.isEmpty() && random.nextInt(4) == 0) {
                cancel(detached.remove(random.nextInt(detached.size())));
            }
            if (held() >= MAX_HELD) {
                return Mono.fromRunnable(this::releaseSomething);
            }
            int op = random.nextInt(100);
            if (op < 8) {
                return allocateWithTimeout();
            }
            if (op < 14) {
                return Mono.fromRunnable(this::allocateDetached);
            }
            if (op < 18) {
                int n = 1 + random.nextInt(2);
                return m.tryAllocate(n).doOnNext(this::takeMutables);
            }
            if (op < 20) {
                return m.allocateWithEvictions(1 + random.nextInt(2))
                        .timeout(Duration.ofMillis(1 + random.nextInt(2)), Schedulers.parallel())
                        .doOnNext(a -> takeMutables(a.blocks()))
                        .onErrorResume(TimeoutException.class, e -> {
                            timeouts++;
                            return Mono.empty();
                        });
            }
            if (op < 34) {
                return Mono.fromRunnable(this::stage);
            }
            if (op < 42) {
                return register();
            }
            if (op < 46) {
                return registerAll();
            }
            if (op < 56) {
                return match();
            }
            if (op < 60) {
                return scan();
            }
            if (op < 78) {
                return Mono.fromRunnable(this::releaseSomething);
            }
            if (op < 82) {
                return Mono.fromRunnable(this::retain);
            }
            if (op < 85) {
                return Mono.fromRunnable(this::downgrade);
            }
            if (op < 89) {
                return upgrade();
            }
            if (op < 92) {
                return Mono.fromRunnable(this::evictOnRelease);
            }
            if (op < 95) {
                return Mono.fromRunnable(this::resetComplete);
            }
            if (op < 96) {
                return m.resetInactive();
            }
            return Mono.fromRunnable(this::releaseSomething);
        }

        private int held() {
            return mutables.size() + completes.size() + immutables.size();
        }

        // ---- allocation

        private Mono<?> allocateWithTimeout() {
            int n = 1 + random.nextInt(3);
            int variant = random.nextInt(4);
            if (variant == 0) {
                // timed inside the manager: delivered or AllocationTimeoutException, never both
                return m.allocate(n, Duration.ofMillis(1 + random.nextInt(3)))
                        .doOnNext(this::takeMutables)
                        .onErrorResume(AllocationTimeoutException.class, e -> {
                            timeouts++;
                            return Mono.empty();
                        });
            }
            Mono<List<MutableBlock>> allocation = variant == 1 ? m.allocate().map(List::of) : m.allocate(n);
            return allocation
                    .timeout(Duration.ofMillis(1 + random.nextInt(3)), Schedulers.parallel())
                    .doOnNext(this::takeMutables)
                    .onErrorResume(TimeoutException.class, e -> {
                        timeouts++;
                        return Mono.empty();
                    });
        }

        private void allocateDetached() {
            int n = 1 + random.nextInt(3);
            // one in eight violates §2.13 and throws from onNext after keeping the blocks: the manager must carry on
            InboxSubscriber sub = new InboxSubscriber(inbox, random.nextInt(8) == 0);
            if (sub.throwing) {
                throwing++;
            }
            m.allocate(n).subscribe(sub);
            if (random.nextInt(3) == 0) {
                cancel(sub); // at once: taken inline, or still waiting
            } else {
                detached.add(sub);
            }
        }

        private void cancel(InboxSubscriber sub) {
            cancels++;
            sub.cancel();
            cancelled.add(sub);
        }

        private void takeMutables(List<MutableBlock> blocks) {
            for (MutableBlock b : blocks) {
                claim(b.blockId(), b);
                mutables.add(b);
            }
        }

        private void takeInbox() {
            Object value;
            while ((value = inbox.poll()) != null) {
                @SuppressWarnings("unchecked")
                List<MutableBlock> blocks = (List<MutableBlock>) value;
                takeMutables(blocks);
            }
            detached.removeIf(InboxSubscriber::isTerminated);
            cancelled.removeIf(InboxSubscriber::isSettled);
        }

        private void claim(int blockId, Object guard) {
            Integer other = exclusive.putIfAbsent(blockId, index);
            if (other != null) {
                throw new AssertionError("block " + blockId + " handed to worker " + index + " (" + guard
                        + ") while worker " + other + " holds a live guard of it");
            }
        }

        private void unclaim(int blockId) {
            if (!exclusive.remove(blockId, index)) {
                throw new AssertionError("worker " + index + " released block " + blockId + " it did not claim");
            }
        }

        // ---- transitions

        private void stage() {
            if (mutables.isEmpty()) {
                return;
            }
            MutableBlock b = mutables.remove(random.nextInt(mutables.size()));
            SequenceHash hash = UNIVERSE.get(random.nextInt(UNIVERSE.size()));
            completes.add(b.stage(hash, TestManagers.BLOCK_SIZE));
        }

        private void resetComplete() {
            if (completes.isEmpty()) {
                return;
            }
            mutables.add(completes.remove(random.nextInt(completes.size())).reset());
        }

        private Mono<?> register() {
            if (completes.isEmpty()) {
                return Mono.empty();
            }
            CompleteBlock c = completes.remove(random.nextInt(completes.size()));
            // Unclaim first: under REJECT the staged slot returns to the pool inside the registration.
            unclaim(c.blockId());
            registered++;
            return m.register(c).doOnNext(immutables::add);
        }

        private Mono<?> registerAll() {
            if (completes.isEmpty()) {
                return Mono.empty();
            }
            int k = 1 + random.nextInt(Math.min(3, completes.size()));
            List<CompleteBlock> batch = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                CompleteBlock c = completes.remove(random.nextInt(completes.size()));
                unclaim(c.blockId());
                batch.add(c);
            }
            registered += k;
            return m.registerAll(batch).doOnNext(immutables::addAll);
        }

        private Mono<?> match() {
            List<SequenceHash> chain = CHAINS.get(random.nextInt(CHAINS.size()));
            List<SequenceHash> prefix = chain.subList(0, 1 + random.nextInt(chain.size()));
            matchHashes += prefix.size();
            Flux<ImmutableBlock> found = m.match(prefix);
            if (random.nextInt(4) == 0) {
                found = found.take(1 + random.nextInt(prefix.size())); // cancels: the rest is closed by the library
            }
            return found.doOnNext(immutables::add).then();
        }

        private Mono<?> scan() {
            List<SequenceHash> hashes = new ArrayList<>();
            for (int i = 0, k = 1 + random.nextInt(5); i < k; i++) {
                hashes.add(UNIVERSE.get(random.nextInt(UNIVERSE.size())));
            }
            scanHashes += hashes.size();
            return m.scan(hashes, random.nextBoolean()).doOnNext(hits -> immutables.addAll(hits.values()));
        }

        private void retain() {
            if (!immutables.isEmpty()) {
                immutables.add(immutables.get(random.nextInt(immutables.size())).retain());
            }
        }

        private void downgrade() {
            if (!immutables.isEmpty()) {
                if (weaks.size() >= 8) {
                    weaks.remove(0);
                }
                weaks.add(immutables.get(random.nextInt(immutables.size())).downgrade());
            }
        }

        private Mono<?> upgrade() {
            if (weaks.isEmpty()) {
                return Mono.empty();
            }
            WeakBlock w = weaks.get(random.nextInt(weaks.size()));
            return w.upgrade().doOnNext(h -> {
                if (!h.sequenceHash().equals(w.sequenceHash())) {
                    throw new AssertionError("upgrade of " + w + " returned " + h);
                }
                immutables.add(h);
            });
        }

        private void evictOnRelease() {
            if (!immutables.isEmpty()) {
                immutables.get(random.nextInt(immutables.size())).evictOnRelease(random.nextInt(4) == 0);
            }
        }

        // ---- release

        private void releaseSomething() {
            int total = held();
            if (total == 0) {
                return;
            }
            if (random.nextInt(4) == 0 && releaseBatch()) {
                return;
            }
            int pick = random.nextInt(total);
            if (pick < mutables.size()) {
                MutableBlock b = mutables.remove(pick);
                unclaim(b.blockId());
                b.close();
            } else if ((pick -= mutables.size()) < completes.size()) {
                CompleteBlock c = completes.remove(pick);
                unclaim(c.blockId());
                c.close();
            } else {
                immutables.remove(pick - completes.size()).close();
            }
        }

        /**
         * Closes a random batch of the held mutable blocks or handles with one {@code closeAllMutable} / {@code
         * closeAll}, sometimes listing a guard twice (closed once); false if there was nothing to batch.
         */
        private boolean releaseBatch() {
            if (!mutables.isEmpty() && (immutables.isEmpty() || random.nextBoolean())) {
                List<MutableBlock> batch = takeRandom(mutables);
                batch.forEach(b -> unclaim(b.blockId()));
                if (random.nextInt(4) == 0) {
                    batch.add(batch.get(0));
                }
                m.closeAllMutable(batch);
                return true;
            }
            if (!immutables.isEmpty()) {
                List<ImmutableBlock> batch = takeRandom(immutables);
                if (random.nextInt(4) == 0) {
                    batch.add(batch.get(0));
                }
                m.closeAll(batch);
                return true;
            }
            return false;
        }

        private <T> List<T> takeRandom(List<T> from) {
            int n = 1 + random.nextInt(from.size());
            List<T> batch = new ArrayList<>(n + 1);
            for (int i = 0; i < n; i++) {
                batch.add(from.remove(random.nextInt(from.size())));
            }
            return batch;
        }

        private void closeEverything() {
            takeInbox();
            for (InboxSubscriber sub : new ArrayList<>(detached)) {
                cancel(sub);
            }
            detached.clear();
            takeInbox();
            while (held() > 0) {
                releaseSomething();
            }
            weaks.clear();
        }

        /** Every allocation this worker cancelled has either been delivered or will never deliver. */
        boolean quiescent() {
            for (InboxSubscriber sub : cancelled) {
                if (!sub.isSettled()) {
                    return false;
                }
            }
            return true;
        }

        /** After the workers finished: close what cancelled allocations delivered late (test thread). */
        void closeInbox() {
            Object value;
            while ((value = inbox.poll()) != null) {
                for (MutableBlock b : asList(value)) {
                    unclaim(b.blockId());
                    b.close();
                }
            }
        }

        @SuppressWarnings("unchecked")
        private static List<MutableBlock> asList(Object value) {
            return (List<MutableBlock>) value;
        }
    }

    /** Puts whatever it receives into an inbox, also after it cancelled (the blocks belong to the worker). */
    static final class InboxSubscriber implements CoreSubscriber<List<MutableBlock>> {

        private final ConcurrentLinkedQueue<Object> inbox;
        private final AtomicReference<@Nullable Subscription> subscription = new AtomicReference<>();
        private volatile boolean terminated;
        final boolean throwing;

        InboxSubscriber(ConcurrentLinkedQueue<Object> inbox, boolean throwing) {
            this.inbox = inbox;
            this.throwing = throwing;
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription.set(s);
            s.request(1);
        }

        @Override
        public void onNext(List<MutableBlock> blocks) {
            inbox.add(blocks);
            if (throwing) {
                terminated = true; // §2.13: cancelled by throwing; no terminal signal will come
                throw new IllegalStateException("subscriber bug (thrown on purpose)");
            }
        }

        @Override
        public void onError(Throwable t) {
            terminated = true;
        }

        @Override
        public void onComplete() {
            terminated = true;
        }

        void cancel() {
            Subscription s = subscription.get();
            if (s != null) {
                s.cancel();
            }
        }

        boolean isTerminated() {
            return terminated;
        }

        /** Terminated, or cancelled before the hand-over (so nothing will arrive). */
        boolean isSettled() {
            return terminated
                    || Boolean.TRUE.equals(Scannable.from(subscription.get()).scan(Scannable.Attr.CANCELLED));
        }
    }
}
