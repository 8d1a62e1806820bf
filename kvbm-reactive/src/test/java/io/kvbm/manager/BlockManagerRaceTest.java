package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.WeakBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.eviction.InactiveIndex;
import io.kvbm.testing.HeldBlocks;
import io.kvbm.testing.Races;
import io.kvbm.testing.RecordingSubscriber;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Races between the manager's operations, as reactor-pool's {@code RaceTestUtils} loops: every round races two
 * operations on {@link Schedulers#parallel()} threads with {@link Races} (so BlockHound checks them), then checks the
 * books on the test thread — {@code reset + inactive + held == total}, no block id held twice — and every loop ends
 * with the store audit. When a race returns, every operation of both racers has run: a racer that found the drain
 * loop busy left its operation to the owner, which is the other racer and drains before returning.
 *
 * <p>Values are received by a {@link RecordingSubscriber}, which keeps what arrives after it cancelled: a block the
 * manager delivered belongs to the subscriber and is closed by the test, never dropped.
 */
class BlockManagerRaceTest {

    private static final int ROUNDS = 10_000;

    // ---------------------------------------------------------------------------------------------------------
    // allocate: cancel vs delivery

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3})
    void allocate_cancelRacingDeliveryOfFreeBlocks_allNBlocksEndExactlyOnceWithSubscriberOrPool(int n) {
        BlockManager m = TestManagers.create(4);
        HeldBlocks held = new HeldBlocks();
        int delivered = 0;
        for (int round = 0; round < ROUNDS; round++) {
            RecordingSubscriber<Object> sub = RecordingSubscriber.manual();
            allocation(m, n).subscribe(sub);
            Races.race(() -> sub.request(1), sub::cancel);

            List<MutableBlock> blocks = takeBlocks(sub, n, held, round);
            if (!blocks.isEmpty()) {
                delivered++;
            }
            held.assertBooksBalance(m, "round " + round);
            assertThat(m.pendingAllocations()).as("round %d", round).isZero();
            closeAll(blocks, held);
            assertThat(m.resetBlocks()).as("round %d", round).isEqualTo(4);
        }
        BlockManagerStats stats = m.stats();
        long rolledBack = stats.allocations() - (long) delivered * n;
        assertThat(rolledBack % n)
                .as("blocks taken for a request that was cancelled mid-hand-over come back all n at once: %s", stats)
                .isZero();
        assertThat(stats.allocationsFromReset()).isEqualTo(stats.allocations());
        assertThat(stats.inflightMutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
        System.out.printf(
                "allocate(%d) cancel vs delivery: %d delivered, %d cancelled (%d mid-hand-over) of %d rounds%n",
                n, delivered, ROUNDS - delivered, rolledBack / n, ROUNDS);
    }

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3})
    void allocate_cancelRacingReleaseThatServesWaiter_waiterGetsAllNOrNothingAndNeverLingers(int n) {
        BlockManager m = TestManagers.create(n);
        HeldBlocks held = new HeldBlocks();
        List<MutableBlock> hog = claimAll(m.allocate(n).block(), held, "initial");
        int served = 0;
        for (int round = 0; round < ROUNDS; round++) {
            RecordingSubscriber<Object> sub = RecordingSubscriber.manual();
            allocation(m, n).subscribe(sub);
            sub.request(1);
            assertThat(m.pendingAllocations()).as("round %d: waiting", round).isEqualTo(1);
            assertThat(sub.values()).isEmpty();

            List<MutableBlock> released = hog;
            Races.race(() -> released.forEach(MutableBlock::close), sub::cancel);
            released.forEach(b -> held.release(b.blockId()));

            List<MutableBlock> blocks = takeBlocks(sub, n, held, round);
            assertThat(m.pendingAllocations())
                    .as("round %d: a cancelled waiter leaves the queue", round)
                    .isZero();
            held.assertBooksBalance(m, "round " + round);
            if (blocks.isEmpty()) {
                assertThat(m.resetBlocks())
                        .as("round %d: cancelled waiter took nothing", round)
                        .isEqualTo(n);
                hog = claimAll(m.allocate(n).block(), held, "round " + round);
            } else {
                served++;
                hog = blocks;
            }
        }
        closeAll(hog, held);
        held.assertBooksBalance(m, "end");
        assertThat(m.resetBlocks()).isEqualTo(n);
        assertThat(m.stats().inflightMutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
        System.out.printf(
                "allocate(%d) cancel vs serving release: %d served, %d cancelled of %d rounds%n",
                n, served, ROUNDS - served, ROUNDS);
    }

    /**
     * The deterministic version of the race above: the subscriber cancels exactly while the drain loop is taking its
     * blocks (from inside the eviction the allocation triggers), i.e. after the request was claimed and before it was
     * committed. The loop must notice the lost commit and put all n blocks back, signalling nothing.
     */
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {1, 3})
    void allocate_cancelWhileTheLoopTakesTheBlocks_allNReturnedAndNothingSignalled(int n) {
        AtomicReference<Runnable> onEvict = new AtomicReference<>(() -> {});
        EvictionPolicy gated = EvictionPolicy.of(
                "gated-lru", context -> new GatedIndex(EvictionPolicy.lru().newIndex(context), onEvict));
        BlockManager m = TestManagers.create(n, b -> b.eviction(gated));
        // fill the cache so that the allocation has to evict, which runs the gate between claim and commit
        List<ImmutableBlock> cached = registerChain(m, TestTokens.chain(500, n));
        cached.forEach(ImmutableBlock::close);
        assertThat(m.inactiveBlocks()).isEqualTo(n);

        RecordingSubscriber<Object> sub = RecordingSubscriber.manual();
        allocation(m, n).subscribe(sub);
        onEvict.set(sub::cancel);
        sub.request(1);
        onEvict.set(() -> {});

        assertThat(sub.values())
                .as("cancelled mid-hand-over: nothing delivered")
                .isEmpty();
        assertThat(sub.isTerminated()).isFalse();
        BlockManagerStats stats = m.stats();
        assertThat(stats.evictions()).as("the blocks were taken: %s", stats).isEqualTo(n);
        assertThat(m.resetBlocks()).as("and all n given back: %s", stats).isEqualTo(n);
        assertThat(stats.inflightMutable()).isZero();
        assertThat(m.pendingAllocations()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
        // the manager is fully usable afterwards
        List<MutableBlock> again = asBlocks(allocation(m, n).block());
        assertThat(again).hasSize(n);
        again.forEach(MutableBlock::close);
    }

    /**
     * The scoped form: {@code withBlocks} (built on {@code Mono.usingWhen}) must give the blocks back when its
     * subscriber cancels, whether the cancel comes before, during or after the hand-over — including when the blocks
     * arrive after the cancel (the manager then counts them as delivered).
     */
    @Test
    void withBlocks_cancelRacingDelivery_blocksAlwaysReturned() {
        BlockManager m = TestManagers.create(3);
        int bodies = 0;
        for (int round = 0; round < ROUNDS; round++) {
            AtomicReference<List<MutableBlock>> inBody = new AtomicReference<>();
            Mono<Integer> scoped = m.withBlocks(2, blocks -> {
                inBody.set(blocks);
                return Mono.never();
            });
            RecordingSubscriber<Integer> sub = RecordingSubscriber.requesting();
            if (round % 2 == 0) {
                // blocks free: the hand-over runs during subscribe
                Races.race(() -> scoped.subscribe(sub), sub::cancel);
            } else {
                // waiting: a release on another thread hands the blocks over
                List<MutableBlock> hog = m.allocate(2).block();
                scoped.subscribe(sub);
                assertThat(m.pendingAllocations()).isEqualTo(1);
                Races.race(() -> hog.forEach(MutableBlock::close), sub::cancel);
            }
            if (inBody.get() != null) {
                bodies++;
            }
            assertThat(sub.values()).isEmpty();
            assertThat(m.pendingAllocations()).as("round %d", round).isZero();
            assertThat(m.resetBlocks())
                    .as("round %d: every block back after the cancel (body ran: %s)", round, inBody.get() != null)
                    .isEqualTo(3);
        }
        assertThat(m.stats().inflightMutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
        System.out.printf("withBlocks cancel vs delivery: body ran in %d of %d rounds%n", bodies, ROUNDS);
    }

    // ---------------------------------------------------------------------------------------------------------
    // close vs close of one guard

    enum Guard {
        MUTABLE,
        COMPLETE,
        /** the only handle of a registration */
        IMMUTABLE_LAST,
        /** one of two handles of a registration */
        IMMUTABLE_SHARED
    }

    @ParameterizedTest
    @EnumSource(Guard.class)
    void close_racingCloseOfSameGuard_releasesExactlyOnce(Guard kind) {
        BlockManager m = TestManagers.create(2);
        SequenceHash hash = TestTokens.roots(11, 1).get(0);
        if (kind == Guard.IMMUTABLE_LAST || kind == Guard.IMMUTABLE_SHARED) {
            m.register(m.allocate().block().stage(hash, TestManagers.BLOCK_SIZE))
                    .block()
                    .close();
        }
        for (int round = 0; round < ROUNDS; round++) {
            switch (kind) {
                case MUTABLE: {
                    MutableBlock b = m.allocate().block();
                    Races.race(b::close, b::close);
                    assertThat(m.resetBlocks()).as("round %d", round).isEqualTo(2);
                    assertThat(m.stats().inflightMutable())
                            .as("round %d", round)
                            .isZero();
                    break;
                }
                case COMPLETE: {
                    CompleteBlock c = m.allocate().block().stage(hash, TestManagers.BLOCK_SIZE);
                    Races.race(c::close, c::close);
                    assertThat(m.resetBlocks()).as("round %d", round).isEqualTo(2);
                    break;
                }
                case IMMUTABLE_LAST: {
                    ImmutableBlock h = matchOne(m, hash);
                    assertThat(m.inactiveBlocks()).isZero();
                    Races.race(h::close, h::close);
                    assertThat(m.inactiveBlocks()).as("round %d", round).isEqualTo(1);
                    assertThat(m.resetBlocks()).as("round %d", round).isEqualTo(1);
                    assertThat(m.stats().inflightImmutable())
                            .as("round %d", round)
                            .isZero();
                    break;
                }
                case IMMUTABLE_SHARED: {
                    ImmutableBlock h1 = matchOne(m, hash);
                    ImmutableBlock h2 = h1.retain();
                    Races.race(h1::close, h1::close);
                    assertThat(h2.useCount()).as("round %d", round).isEqualTo(1);
                    assertThat(m.stats().inflightImmutable())
                            .as("round %d", round)
                            .isEqualTo(1);
                    assertThat(m.inactiveBlocks())
                            .as("round %d: still active", round)
                            .isZero();
                    h2.close();
                    assertThat(m.inactiveBlocks()).as("round %d", round).isEqualTo(1);
                    assertThat(m.stats().inflightImmutable())
                            .as("round %d", round)
                            .isZero();
                    break;
                }
                default:
                    throw new AssertionError(kind);
            }
        }
        assertThat(m.resetBlocks() + m.inactiveBlocks()).isEqualTo(2);
        assertThat(m.stats().inflightMutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // last close of a handle vs match of its hash (kvbm invariant 25)

    @Test
    void match_racingLastCloseOfTheHashesHandles_yieldsOnlyTheOneBlockPerHashAndConverges() {
        BlockManager m = TestManagers.create(3);
        List<SequenceHash> chain = TestTokens.chain(100, 2);
        List<ImmutableBlock> handles = registerChain(m, chain);
        int[] ids = {handles.get(0).blockId(), handles.get(1).blockId()};
        HeldBlocks held = new HeldBlocks();
        for (int round = 0; round < ROUNDS; round++) {
            RecordingSubscriber<ImmutableBlock> sub = RecordingSubscriber.requesting();
            List<ImmutableBlock> closing = handles;
            Races.race(
                    () -> closing.forEach(ImmutableBlock::close),
                    () -> m.match(chain).subscribe(sub));

            assertThat(sub.isCompleted()).as("round %d: %s", round, sub).isTrue();
            handles = sub.takeValues();
            assertThat(handles)
                    .as("round %d: one block per hash, the same ones every time", round)
                    .extracting(ImmutableBlock::blockId)
                    .containsExactly(ids[0], ids[1]);
            assertThat(m.inactiveBlocks())
                    .as("round %d: held by the match result", round)
                    .isZero();
            assertThat(m.stats().inflightImmutable()).as("round %d", round).isEqualTo(2);
            held.claim(ids[0], "round " + round);
            held.claim(ids[1], "round " + round);
            held.assertBooksBalance(m, "round " + round);
            held.release(ids[0]);
            held.release(ids[1]);
        }
        handles.forEach(ImmutableBlock::close);
        assertThat(m.inactiveBlocks()).as("converged: both cached").isEqualTo(2);
        assertThat(m.resetBlocks()).isEqualTo(1);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(m.registry().isPresent(chain.get(1), m.tier())).isTrue();
        assertThat(StoreAudit.violations(m)).isEmpty();
        List<ImmutableBlock> again = m.match(chain).collectList().block();
        assertThat(again).extracting(ImmutableBlock::blockId).containsExactly(ids[0], ids[1]);
        again.forEach(ImmutableBlock::close);
    }

    // ---------------------------------------------------------------------------------------------------------
    // retain / close / upgrade on different handles of one registration

    @Test
    void handles_retainCloseAndUpgradeRacingCloseOfAnotherHandle_refcountNeverDoubleReleases() {
        BlockManager m = TestManagers.create(2);
        SequenceHash hash = TestTokens.roots(21, 1).get(0);
        ImmutableBlock h1 = m.register(m.allocate().block().stage(hash, TestManagers.BLOCK_SIZE))
                .block();
        int id = h1.blockId();
        for (int round = 0; round < ROUNDS; round++) {
            ImmutableBlock first = h1;
            ImmutableBlock second = h1.retain();
            assertThat(first.useCount()).isEqualTo(2);
            switch (round % 3) {
                case 0: {
                    // retain then close one handle vs close the other: one handle survives
                    AtomicReference<ImmutableBlock> third = new AtomicReference<>();
                    Races.race(
                            () -> {
                                third.set(first.retain());
                                first.close();
                            },
                            second::close);
                    h1 = third.get();
                    assertThat(h1.useCount()).as("round %d", round).isEqualTo(1);
                    assertThat(m.stats().inflightImmutable())
                            .as("round %d", round)
                            .isEqualTo(1);
                    assertThat(m.inactiveBlocks()).as("round %d", round).isZero();
                    break;
                }
                case 1: {
                    // close both handles at once: exactly one of them is the last
                    Races.race(first::close, second::close);
                    assertThat(m.inactiveBlocks()).as("round %d", round).isEqualTo(1);
                    assertThat(m.stats().inflightImmutable())
                            .as("round %d", round)
                            .isZero();
                    h1 = matchOne(m, hash);
                    break;
                }
                default: {
                    // upgrade a weak reference vs close both strong handles
                    WeakBlock weak = first.downgrade();
                    RecordingSubscriber<ImmutableBlock> sub = RecordingSubscriber.requesting();
                    Races.race(
                            () -> {
                                first.close();
                                second.close();
                            },
                            () -> weak.upgrade().subscribe(sub));
                    assertThat(sub.isCompleted()).as("round %d: %s", round, sub).isTrue();
                    List<ImmutableBlock> upgraded = sub.takeValues();
                    assertThat(upgraded)
                            .as("round %d: the cached block is found again", round)
                            .hasSize(1);
                    h1 = upgraded.get(0);
                    assertThat(h1.useCount()).as("round %d", round).isEqualTo(1);
                    assertThat(m.stats().inflightImmutable())
                            .as("round %d", round)
                            .isEqualTo(1);
                    break;
                }
            }
            assertThat(h1.blockId()).as("round %d", round).isEqualTo(id);
            assertThat(m.inactiveBlocks()).as("round %d: held again", round).isZero();
            assertThat(m.resetBlocks()).as("round %d: books", round).isEqualTo(1);
        }
        h1.close();
        assertThat(m.inactiveBlocks()).as("final state: cached").isEqualTo(1);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // register under REJECT vs eviction of the existing primary

    @Test
    void register_rejectRacingEvictionOfTheExistingPrimary_oneBlockPerHashAndNothingLost() {
        BlockManager m = TestManagers.create(2, DuplicationPolicy.REJECT, EvictionPolicy.lru());
        SequenceHash hash = TestTokens.roots(31, 1).get(0);
        m.register(m.allocate().block().stage(hash, TestManagers.BLOCK_SIZE))
                .block()
                .close();
        HeldBlocks held = new HeldBlocks();
        int deduplicated = 0;
        for (int round = 0; round < ROUNDS; round++) {
            // the cache holds `hash` in one block, the other is staged with the same hash: no reset block is left
            CompleteBlock staged = m.allocate().block().stage(hash, TestManagers.BLOCK_SIZE);
            int cachedId = 1 - staged.blockId();
            RecordingSubscriber<ImmutableBlock> registered = RecordingSubscriber.requesting();
            RecordingSubscriber<MutableBlock> allocated = RecordingSubscriber.requesting();
            Races.race(
                    () -> m.register(staged).subscribe(registered),
                    () -> m.allocate().subscribe(allocated));

            assertThat(registered.isCompleted())
                    .as("round %d: %s", round, registered)
                    .isTrue();
            assertThat(allocated.isCompleted())
                    .as("round %d: a block is always free for it: %s", round, allocated)
                    .isTrue();
            ImmutableBlock handle = registered.takeValues().get(0);
            MutableBlock block = allocated.takeValues().get(0);
            assertThat(handle.sequenceHash()).isEqualTo(hash);
            held.claim(handle.blockId(), "round " + round + " registered");
            held.claim(block.blockId(), "round " + round + " allocated");
            if (handle.blockId() == cachedId) {
                deduplicated++; // registration first: the cached primary came back, the staged slot was reset
            } else {
                // allocation first: it evicted the cached primary, so the registration found nothing
                assertThat(block.blockId()).as("round %d", round).isEqualTo(cachedId);
            }
            held.assertBooksBalance(m, "round " + round);
            List<ImmutableBlock> matched = m.match(List.of(hash)).collectList().block();
            assertThat(matched)
                    .as("round %d: exactly one block for the hash", round)
                    .extracting(ImmutableBlock::blockId)
                    .containsExactly(handle.blockId());
            matched.forEach(ImmutableBlock::close);
            block.close();
            handle.close();
            held.release(block.blockId());
            held.release(handle.blockId());
            assertThat(m.inactiveBlocks()).as("round %d", round).isEqualTo(1);
            assertThat(m.resetBlocks()).as("round %d", round).isEqualTo(1);
        }
        BlockManagerStats stats = m.stats();
        assertThat(stats.registrations()).isEqualTo(ROUNDS + 1L);
        assertThat(stats.registrationDedup()).isEqualTo(deduplicated);
        assertThat(stats.evictions())
                .as("every round either deduplicated or evicted: %s", stats)
                .isEqualTo(ROUNDS - deduplicated);
        assertThat(stats.duplicateBlocks()).isZero();
        assertThat(stats.inflightImmutable()).isZero();
        assertThat(m.registry().isPresent(hash, m.tier())).isTrue();
        assertThat(StoreAudit.violations(m)).isEmpty();
        System.out.printf(
                "register(REJECT) vs eviction: %d deduplicated, %d evicted of %d rounds%n",
                deduplicated, ROUNDS - deduplicated, ROUNDS);
    }

    // ---------------------------------------------------------------------------------------------------------
    // close of the manager vs a pending allocation

    @Test
    void close_racingPendingAllocationAndItsRelease_waiterGetsBlockOrManagerClosedAndNeverHangs() {
        int served = 0;
        for (int round = 0; round < ROUNDS; round++) {
            BlockManager m = TestManagers.create(1);
            MutableBlock hog = m.allocate().block();
            RecordingSubscriber<Object> waiter = RecordingSubscriber.manual();
            m.allocate(1).subscribe(waiter);
            waiter.request(1);
            assertThat(m.pendingAllocations()).isEqualTo(1);
            RecordingSubscriber<Void> close1 = RecordingSubscriber.requesting();
            RecordingSubscriber<Void> close2 = RecordingSubscriber.requesting();
            switch (round % 3) {
                case 0:
                    Races.race(hog::close, () -> m.close().subscribe(close1));
                    m.close().subscribe(close2); // closing a closed manager completes too
                    break;
                case 1:
                    Races.race(
                            () -> m.close().subscribe(close1), () -> m.close().subscribe(close2));
                    hog.close();
                    break;
                default:
                    Races.race(
                            () -> {
                                hog.close();
                                m.close().subscribe(close1);
                            },
                            () -> m.close().subscribe(close2));
                    break;
            }
            assertThat(close1.isCompleted())
                    .as("round %d: close completes: %s", round, close1)
                    .isTrue();
            assertThat(close2.isCompleted())
                    .as("round %d: close completes: %s", round, close2)
                    .isTrue();
            assertThat(m.isClosed()).isTrue();
            assertThat(waiter.isTerminated())
                    .as("round %d: the waiter never hangs: %s", round, waiter)
                    .isTrue();
            List<Object> got = waiter.takeValues();
            if (got.isEmpty()) {
                assertThat(waiter.error()).as("round %d", round).isInstanceOf(ManagerClosedException.class);
                assertThat(m.resetBlocks()).as("round %d", round).isEqualTo(1);
            } else {
                assertThat(round % 3)
                        .as("round %d: served only if the release came first", round)
                        .isNotEqualTo(1);
                assertThat(waiter.error()).isNull();
                served++;
                List<MutableBlock> blocks = asBlocks(got.get(0));
                assertThat(blocks).hasSize(1);
                assertThat(m.resetBlocks()).as("round %d", round).isZero();
                blocks.forEach(MutableBlock::close);
            }
            assertThat(m.pendingAllocations()).as("round %d", round).isZero();
            assertThat(m.resetBlocks()).as("round %d", round).isEqualTo(1);
            if (round % 1000 == 0) {
                RecordingSubscriber<MutableBlock> late = RecordingSubscriber.requesting();
                m.allocate().subscribe(late);
                assertThat(late.error()).isInstanceOf(ManagerClosedException.class);
                assertThat(StoreAudit.violations(m)).isEmpty();
            }
        }
        System.out.printf(
                "manager close vs pending allocation: %d served, %d failed of %d rounds%n",
                served, ROUNDS - served, ROUNDS);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static Mono<?> allocation(BlockManager m, int n) {
        return n == 1 ? m.allocate() : m.allocate(n);
    }

    @SuppressWarnings("unchecked")
    private static List<MutableBlock> asBlocks(Object value) {
        return value instanceof MutableBlock ? List.of((MutableBlock) value) : (List<MutableBlock>) value;
    }

    /** The blocks the subscriber received (all n of one allocation, or none), claimed in {@code held}. */
    private static List<MutableBlock> takeBlocks(RecordingSubscriber<Object> sub, int n, HeldBlocks held, int round) {
        List<Object> got = sub.takeValues();
        assertThat(got).as("round %d: at most one signal", round).hasSizeLessThanOrEqualTo(1);
        if (got.isEmpty()) {
            assertThat(sub.isTerminated())
                    .as("round %d: a cancelled request is not signalled: %s", round, sub)
                    .isFalse();
            return List.of();
        }
        assertThat(sub.isCompleted()).as("round %d", round).isTrue();
        List<MutableBlock> blocks = asBlocks(got.get(0));
        assertThat(blocks).as("round %d: all or nothing", round).hasSize(n);
        return claimAll(blocks, held, "round " + round);
    }

    private static List<MutableBlock> claimAll(List<MutableBlock> blocks, HeldBlocks held, String context) {
        for (MutableBlock b : blocks) {
            held.claim(b.blockId(), context);
        }
        return new ArrayList<>(blocks);
    }

    private static void closeAll(List<MutableBlock> blocks, HeldBlocks held) {
        for (MutableBlock b : blocks) {
            b.close();
            held.release(b.blockId());
        }
    }

    private static ImmutableBlock matchOne(BlockManager m, SequenceHash hash) {
        List<ImmutableBlock> found = m.match(List.of(hash)).collectList().block();
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    private static List<ImmutableBlock> registerChain(BlockManager m, List<SequenceHash> chain) {
        List<MutableBlock> blocks = m.allocate(chain.size()).block();
        List<CompleteBlock> staged = new ArrayList<>();
        for (int i = 0; i < chain.size(); i++) {
            staged.add(blocks.get(i).stage(chain.get(i), TestManagers.BLOCK_SIZE));
        }
        return m.registerAll(staged).block();
    }

    /** An inactive index that runs a hook in the drain loop whenever an allocation evicts a block. */
    private static final class GatedIndex implements InactiveIndex {

        private final InactiveIndex delegate;
        private final AtomicReference<Runnable> onEvict;

        GatedIndex(InactiveIndex delegate, AtomicReference<Runnable> onEvict) {
            this.delegate = delegate;
            this.onEvict = onEvict;
        }

        @Override
        public void insert(SequenceHash hash, int blockId) {
            delegate.insert(hash, blockId);
        }

        @Override
        public int remove(SequenceHash hash) {
            return delegate.remove(hash);
        }

        @Override
        public boolean has(SequenceHash hash) {
            return delegate.has(hash);
        }

        @Override
        public boolean take(SequenceHash hash, int blockId) {
            return delegate.take(hash, blockId);
        }

        @Override
        public int evict() {
            onEvict.get().run();
            return delegate.evict();
        }

        @Override
        public int size() {
            return delegate.size();
        }
    }
}
