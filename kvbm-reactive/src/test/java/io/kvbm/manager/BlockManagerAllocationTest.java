package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.allocate;
import static io.kvbm.testing.TestBlocks.closeAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.WeakBlock;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.subscriber.TestSubscriber;
import reactor.test.util.RaceTestUtils;

/**
 * The reactive contract of {@link BlockManager#allocate(int)} and its siblings: cold and lazy, strictly FIFO waiting,
 * all-or-nothing, bounded waiting, cancellation and timeouts that take nothing, and {@code close()}.
 *
 * <p>Waiters are parked {@link TestSubscriber}s, so a test can hold several at once and check exactly when each is
 * served; everything runs on the test thread because an uncontended manager signals during {@code subscribe}.
 */
class BlockManagerAllocationTest {

    @Nested
    class ColdAndLazy {

        @Test
        void allocate_notSubscribed_allocatesNothing() {
            BlockManager m = TestManagers.create(4);

            m.allocate();
            m.allocate(2);
            m.tryAllocate(2);
            m.allocateWithEvictions(2);

            assertThat(m.availableBlocks()).isEqualTo(4);
            assertThat(m.stats().allocations()).isZero();
        }

        @Test
        void allocate_subscribedWithoutDemand_allocatesNothingUntilRequested() {
            BlockManager m = TestManagers.create(4);

            StepVerifier.create(m.allocate(2), 0)
                    .expectSubscription()
                    .then(() -> assertThat(m.availableBlocks()).isEqualTo(4))
                    .thenRequest(1)
                    .assertNext(blocks -> {
                        assertThat(blocks).hasSize(2);
                        assertThat(m.availableBlocks()).isEqualTo(2);
                        closeAll(blocks);
                    })
                    .expectComplete()
                    .verify(TIMEOUT);
            assertThat(m.stats().allocations()).isEqualTo(2);
        }

        @Test
        void allocate_sameMonoSubscribedTwice_allocatesTwiceIndependently() {
            BlockManager m = TestManagers.create(4);
            Mono<List<MutableBlock>> two = m.allocate(2);

            List<MutableBlock> first = two.block(TIMEOUT);
            List<MutableBlock> second = two.block(TIMEOUT);

            assertThat(first).extracting(MutableBlock::blockId).containsExactly(0, 1);
            assertThat(second).extracting(MutableBlock::blockId).containsExactly(2, 3);
            assertThat(m.availableBlocks()).isZero();
            closeAll(first);
            closeAll(second);
        }

        @Test
        void allocateOne_sameMonoResubscribed_eachSubscriptionIsOneBlock() {
            BlockManager m = TestManagers.create(3);
            Mono<MutableBlock> one = m.allocate();

            List<MutableBlock> blocks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                blocks.add(one.block(TIMEOUT));
            }

            assertThat(blocks).extracting(MutableBlock::blockId).containsExactly(0, 1, 2);
            assertThat(m.stats().allocations()).isEqualTo(3);
            closeAll(blocks);
        }

        @Test
        void allocate_uncontended_signalsDuringSubscribe() {
            BlockManager m = TestManagers.create(2);
            AtomicReference<List<MutableBlock>> received = new AtomicReference<>();

            m.allocate(2).subscribe(received::set);

            // no scheduler hop: the value is there when subscribe() returns
            assertThat(received.get()).hasSize(2);
            closeAll(received.get());
        }

        @Test
        void allocateZero_evenWhenNothingIsFree_emitsEmptyListAtOnce() {
            BlockManager m = TestManagers.create(2);
            List<MutableBlock> held = allocate(m, 2);
            TestSubscriber<List<MutableBlock>> waiter = TestSubscriber.create();
            m.allocate(1).subscribe(waiter);

            StepVerifier.create(m.allocate(0)).expectNext(List.of()).verifyComplete();
            StepVerifier.create(m.tryAllocate(0)).expectNext(List.of()).verifyComplete();

            assertThat(m.pendingAllocations()).isEqualTo(1);
            waiter.cancel();
            closeAll(held);
        }
    }

    @Nested
    class Waiting {

        @Test
        void allocate_notEnoughFree_waitsUntilEnoughAreClosed() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> held = allocate(m, 3);
            TestSubscriber<List<MutableBlock>> waiter = TestSubscriber.create();

            m.allocate(2).subscribe(waiter);
            assertThat(waiter.getReceivedOnNext()).isEmpty();
            assertThat(m.pendingAllocations()).isEqualTo(1);
            // all-or-nothing: the one free block is not taken while waiting
            assertThat(m.availableBlocks()).isEqualTo(1);
            assertThat(m.stats().allocations()).isEqualTo(3);

            held.get(1).close();

            assertThat(waiter.isTerminatedComplete()).isTrue();
            List<MutableBlock> served = waiter.getReceivedOnNext().get(0);
            assertThat(served).extracting(MutableBlock::blockId).containsExactly(3, 1);
            assertThat(m.pendingAllocations()).isZero();
            closeAll(served);
            held.get(0).close();
            held.get(2).close();
        }

        @Test
        void allocate_servedByRelease_completesOnTheClosingThread() throws InterruptedException {
            BlockManager m = TestManagers.create(2);
            List<MutableBlock> held = allocate(m, 2);
            AtomicReference<Thread> servedOn = new AtomicReference<>();
            TestSubscriber<List<MutableBlock>> waiter = TestSubscriber.create();
            m.allocate(2).doOnNext(b -> servedOn.set(Thread.currentThread())).subscribe(waiter);

            held.get(0).close(); // one is not enough
            assertThat(servedOn.get()).isNull();
            Thread closer = new Thread(() -> held.get(1).close(), "closer");
            closer.start();
            closer.join(TIMEOUT.toMillis());

            assertThat(servedOn.get()).isSameAs(closer);
            assertThat(waiter.isTerminatedComplete()).isTrue();
            closeAll(waiter.getReceivedOnNext().get(0));
        }

        @Test
        void allocate_servedByImmutableRelease_takesTheCachedBlock() {
            BlockManager m = TestManagers.create(2);
            List<SequenceHash> hashes = TestTokens.roots(7, 2);
            List<ImmutableBlock> handles = TestBlocks.register(m, hashes);
            TestSubscriber<List<MutableBlock>> waiter = TestSubscriber.create();
            m.allocate(1).subscribe(waiter);

            handles.get(1).close(); // to the inactive pool: available again, by eviction

            assertThat(waiter.isTerminatedComplete()).isTrue();
            assertThat(waiter.getReceivedOnNext().get(0))
                    .extracting(MutableBlock::blockId)
                    .containsExactly(1);
            assertThat(m.stats().evictions()).isEqualTo(1);
            closeAll(waiter.getReceivedOnNext().get(0));
            handles.get(0).close();
        }

        @Test
        void allocate_largeWaiterAtHead_isNotOvertakenByLaterSmallOne() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> held = allocate(m, 4);
            TestSubscriber<List<MutableBlock>> four = TestSubscriber.create();
            TestSubscriber<MutableBlock> one = TestSubscriber.create();
            m.allocate(4).subscribe(four);
            m.allocate().subscribe(one);
            assertThat(m.pendingAllocations()).isEqualTo(2);

            held.get(0).close();

            assertThat(one.getReceivedOnNext())
                    .as("a later allocate(1) overtook the waiting allocate(4)")
                    .isEmpty();
            assertThat(m.availableBlocks()).isEqualTo(1);

            closeAll(held.subList(1, 4));

            assertThat(four.isTerminatedComplete()).isTrue();
            assertThat(one.getReceivedOnNext()).isEmpty();
            assertThat(m.pendingAllocations()).isEqualTo(1);

            four.getReceivedOnNext().get(0).get(2).close();

            assertThat(one.isTerminatedComplete()).isTrue();
            closeAll(four.getReceivedOnNext().get(0));
            one.getReceivedOnNext().get(0).close();
        }

        @Test
        void allocate_severalWaiters_servedInArrivalOrder() {
            BlockManager m = TestManagers.create(1);
            MutableBlock held = m.allocate().block(TIMEOUT);
            List<Integer> order = new ArrayList<>();
            List<TestSubscriber<MutableBlock>> waiters = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int arrival = i;
                TestSubscriber<MutableBlock> waiter = TestSubscriber.create();
                waiters.add(waiter);
                m.allocate().doOnNext(b -> order.add(arrival)).subscribe(waiter);
            }

            held.close();
            for (TestSubscriber<MutableBlock> waiter : waiters) {
                waiter.getReceivedOnNext().get(0).close(); // hands the block to the next in line
            }

            assertThat(order).containsExactly(0, 1, 2, 3, 4);
            assertThat(m.pendingAllocations()).isZero();
        }

        @Test
        void tryAllocate_whileOthersWait_completesEmptyEvenIfBlocksAreFree() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> held = allocate(m, 4);
            TestSubscriber<List<MutableBlock>> waiter = TestSubscriber.create();
            m.allocate(3).subscribe(waiter);
            held.get(0).close();
            held.get(1).close();
            assertThat(m.availableBlocks()).isEqualTo(2);

            StepVerifier.create(m.tryAllocate(1)).verifyComplete();
            StepVerifier.create(m.tryAllocate(2)).verifyComplete();

            assertThat(m.availableBlocks()).isEqualTo(2);
            assertThat(m.pendingAllocations()).as("tryAllocate never waits").isEqualTo(1);
            held.get(2).close();
            assertThat(waiter.isTerminatedComplete()).isTrue();
            closeAll(waiter.getReceivedOnNext().get(0));
            held.get(3).close();
        }

        @Test
        void tryAllocate_tooFewFree_completesEmptyAndTakesNothing() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> held = allocate(m, 3);

            StepVerifier.create(m.tryAllocate(2)).verifyComplete();

            assertThat(m.availableBlocks()).isEqualTo(1);
            assertThat(m.pendingAllocations()).isZero();
            assertThat(m.stats().allocations()).isEqualTo(3);
            closeAll(held);
        }

        @Test
        void allocate_needsEvictionToFit_takesResetFirstThenEvictsAtomically() {
            BlockManager m = TestManagers.create(3);
            List<SequenceHash> hashes = TestTokens.roots(3, 2);
            TestBlocks.cache(m, hashes);

            StepVerifier.create(m.allocate(3))
                    .assertNext(blocks -> {
                        assertThat(blocks).extracting(MutableBlock::blockId).containsExactly(2, 0, 1);
                        closeAll(blocks);
                    })
                    .verifyComplete();
            assertThat(m.stats().evictions()).isEqualTo(2);
            assertThat(m.stats().allocationsFromReset()).isEqualTo(3); // 2 for the cached pair, 1 now
        }
    }

    @Nested
    class PendingLimit {

        @Test
        void allocate_beyondPendingLimit_failsWithTheLimitAndTakesNothing() {
            BlockManager m = TestManagers.create(1, b -> b.maxPendingAllocations(2));
            MutableBlock held = m.allocate().block(TIMEOUT);
            TestSubscriber<MutableBlock> first = TestSubscriber.create();
            TestSubscriber<MutableBlock> second = TestSubscriber.create();
            m.allocate().subscribe(first);
            m.allocate().subscribe(second);

            StepVerifier.create(m.allocate())
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOfSatisfying(
                                    AllocationPendingLimitException.class,
                                    limit -> assertThat(limit.getPendingLimit()).isEqualTo(2))
                            .hasMessageContaining("maxPendingAllocations=2"))
                    .verify(TIMEOUT);
            assertThat(m.pendingAllocations()).isEqualTo(2);

            first.cancel(); // frees a place in the line
            TestSubscriber<MutableBlock> third = TestSubscriber.create();
            m.allocate().subscribe(third);
            assertThat(third.isTerminated()).isFalse();
            assertThat(m.pendingAllocations()).isEqualTo(2);

            held.close();
            assertThat(second.isTerminatedComplete()).isTrue();
            second.getReceivedOnNext().get(0).close();
            assertThat(third.isTerminatedComplete()).isTrue();
            third.getReceivedOnNext().get(0).close();
            assertThat(first.getReceivedOnNext()).isEmpty();
        }

        @Test
        void allocate_zeroPendingLimit_failsAnyWaitButServesWhatIsFree() {
            BlockManager m = TestManagers.create(2, b -> b.maxPendingAllocations(0));

            List<MutableBlock> blocks = m.allocate(2).block(TIMEOUT);
            StepVerifier.create(m.allocate())
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOfSatisfying(
                                    AllocationPendingLimitException.class,
                                    limit -> assertThat(limit.getPendingLimit()).isZero()))
                    .verify(TIMEOUT);
            StepVerifier.create(m.allocateWithEvictions(1))
                    .expectError(AllocationPendingLimitException.class)
                    .verify(TIMEOUT);
            StepVerifier.create(m.tryAllocate(1))
                    .as("tryAllocate never waits, so never hits the limit")
                    .verifyComplete();

            assertThat(m.pendingAllocations()).isZero();
            assertThat(m.stats().allocations()).isEqualTo(2);
            closeAll(blocks);
        }

        @Test
        void allocate_defaultPendingLimit_is1024() {
            BlockManager m = TestManagers.create(1);
            MutableBlock held = m.allocate().block(TIMEOUT);
            List<TestSubscriber<MutableBlock>> waiters = new ArrayList<>();
            for (int i = 0; i < 1024; i++) {
                TestSubscriber<MutableBlock> waiter = TestSubscriber.create();
                waiters.add(waiter);
                m.allocate().subscribe(waiter);
            }
            assertThat(m.pendingAllocations()).isEqualTo(1024);
            assertThat(m.stats().pendingAllocations()).isEqualTo(1024);

            StepVerifier.create(m.allocate())
                    .expectErrorSatisfies(e -> assertThat(((AllocationPendingLimitException) e).getPendingLimit())
                            .isEqualTo(1024))
                    .verify(TIMEOUT);

            waiters.forEach(TestSubscriber::cancel);
            assertThat(m.pendingAllocations()).isZero();
            held.close();
        }
    }

    @Nested
    class CancellationAndTimeout {

        @Test
        void cancel_waitingAllocation_takesNothingAndLeavesTheLine() {
            BlockManager m = TestManagers.create(2);
            List<MutableBlock> held = allocate(m, 2);
            TestSubscriber<List<MutableBlock>> waiter = TestSubscriber.create();
            m.allocate(2).subscribe(waiter);

            waiter.cancel();
            closeAll(held);

            assertThat(m.pendingAllocations()).isZero();
            assertThat(waiter.getReceivedOnNext()).isEmpty();
            assertThat(waiter.isTerminated()).isFalse();
            assertThat(m.availableBlocks()).isEqualTo(2);
            assertThat(m.stats().allocations()).isEqualTo(2);
        }

        @Test
        void cancel_headOfTheLine_letsTheNextWaiterBeServed() {
            BlockManager m = TestManagers.create(2);
            List<MutableBlock> held = allocate(m, 2);
            TestSubscriber<List<MutableBlock>> head = TestSubscriber.create();
            TestSubscriber<MutableBlock> next = TestSubscriber.create();
            m.allocate(2).subscribe(head);
            m.allocate().subscribe(next);
            held.get(0).close();
            assertThat(next.getReceivedOnNext())
                    .as("FIFO: the head blocks the line")
                    .isEmpty();

            head.cancel();

            assertThat(next.isTerminatedComplete())
                    .as("the cancelled head no longer blocks the line")
                    .isTrue();
            assertThat(next.getReceivedOnNext().get(0).blockId()).isEqualTo(0);
            assertThat(m.pendingAllocations()).isZero();
            next.getReceivedOnNext().get(0).close();
            held.get(1).close();
        }

        @Test
        void cancel_racingTheHandOver_everyBlockEndsUpExactlyOnceWithTheWaiterOrInThePool() {
            BlockManager m = TestManagers.create(3);
            int rounds = 300;
            long delivered = 0;
            for (int i = 0; i < rounds; i++) {
                List<MutableBlock> held = allocate(m, 3);
                TestSubscriber<List<MutableBlock>> waiter = TestSubscriber.create();
                m.allocate(3).subscribe(waiter);

                // not on parallel(): RaceTestUtils spins with Thread.yield, which BlockHound rejects there
                RaceTestUtils.race(waiter::cancel, () -> closeAll(held));

                if (!waiter.getReceivedOnNext().isEmpty()) {
                    delivered++;
                    assertThat(waiter.getReceivedOnNext().get(0)).hasSize(3);
                    closeAll(waiter.getReceivedOnNext().get(0));
                }
                assertThat(m.availableBlocks()).as("round %d", i).isEqualTo(3);
                assertThat(m.pendingAllocations()).as("round %d", i).isZero();
            }
            // A cancel that lands while the loop is taking the blocks (CLAIMED) wins: the blocks were allocated and
            // are given straight back, so they count as allocations although the waiter never saw them.
            long allocations = m.stats().allocations();
            assertThat(allocations).isBetween(3L * rounds + 3L * delivered, 6L * rounds);
            assertThat(allocations % 3).isZero();
            assertThat(StoreAudit.violations(m)).isEmpty();
        }

        @Test
        void cancel_beforeRequest_neverEntersTheLine() {
            BlockManager m = TestManagers.create(1);
            MutableBlock held = m.allocate().block(TIMEOUT);

            StepVerifier.create(m.allocate(), 0).thenCancel().verify(TIMEOUT);

            assertThat(m.pendingAllocations()).isZero();
            held.close();
            assertThat(m.availableBlocks()).isEqualTo(1);
        }

        @Test
        void timeout_waitingAllocation_removesTheWaiterAndTakesNothing() {
            BlockManager m = TestManagers.create(2);
            List<MutableBlock> held = allocate(m, 2);
            TestSubscriber<MutableBlock> next = TestSubscriber.create();

            StepVerifier.withVirtualTime(() -> m.allocate(2).timeout(Duration.ofSeconds(10)))
                    .expectSubscription()
                    .then(() -> m.allocate().subscribe(next))
                    .then(() -> assertThat(m.pendingAllocations()).isEqualTo(2))
                    .expectNoEvent(Duration.ofSeconds(9))
                    .thenAwait(Duration.ofSeconds(1))
                    .expectError(TimeoutException.class)
                    .verify(TIMEOUT);

            assertThat(m.pendingAllocations()).isEqualTo(1);
            assertThat(m.stats().allocations()).isEqualTo(2);
            assertThat(next.getReceivedOnNext()).isEmpty();

            held.get(0).close(); // one block: enough for the next waiter only because the timed-out one is gone

            assertThat(next.isTerminatedComplete()).isTrue();
            next.getReceivedOnNext().get(0).close();
            held.get(1).close();
        }

        @Test
        void timeout_notReached_deliversTheBlocks() {
            BlockManager m = TestManagers.create(1);
            MutableBlock held = m.allocate().block(TIMEOUT);

            StepVerifier.withVirtualTime(() -> m.allocate().timeout(Duration.ofSeconds(10)))
                    .expectSubscription()
                    .thenAwait(Duration.ofSeconds(5))
                    .then(held::close)
                    .consumeNextWith(MutableBlock::close)
                    .verifyComplete();
            assertThat(m.pendingAllocations()).isZero();
        }
    }

    @Nested
    class WithEvictions {

        @Test
        void allocateWithEvictions_reportsEvictedHashesInEvictionOrder_resetBlocksFirst() {
            BlockManager m = TestManagers.create(4);
            List<SequenceHash> h = TestTokens.roots(11, 3);
            List<ImmutableBlock> handles = TestBlocks.register(m, h); // blocks 0, 1, 2; block 3 stays reset
            handles.get(1).close();
            handles.get(0).close();
            handles.get(2).close(); // LRU order: h1 (block 1), h0 (block 0), h2 (block 2)

            StepVerifier.create(m.allocateWithEvictions(3))
                    .assertNext(a -> {
                        assertThat(a.blocks()).extracting(MutableBlock::blockId).containsExactly(3, 1, 0);
                        assertThat(a.evicted()).containsExactly(h.get(1), h.get(0));
                        closeAll(a.blocks());
                    })
                    .verifyComplete();
            assertThat(m.stats().evictions()).isEqualTo(2);
            assertThat(m.inactiveBlocks()).isEqualTo(1);
            assertThat(m.registry().isPresent(h.get(1), m.tier())).isFalse();
            assertThat(m.registry().isPresent(h.get(2), m.tier())).isTrue();
        }

        @Test
        void allocateWithEvictions_resetPoolSuffices_reportsNoEviction() {
            BlockManager m = TestManagers.create(4);
            TestBlocks.cache(m, TestTokens.roots(12, 1));

            StepVerifier.create(m.allocateWithEvictions(3))
                    .assertNext(a -> {
                        assertThat(a.blocks()).hasSize(3);
                        assertThat(a.evicted()).isEmpty();
                        closeAll(a.blocks());
                    })
                    .verifyComplete();
            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @Test
        void allocateWithEvictions_waiting_reportsWhatItEvictedWhenServed() {
            BlockManager m = TestManagers.create(2);
            List<SequenceHash> h = TestTokens.roots(13, 2);
            List<ImmutableBlock> handles = TestBlocks.register(m, h);
            TestSubscriber<Allocation> waiter = TestSubscriber.create();
            m.allocateWithEvictions(2).subscribe(waiter);

            handles.get(1).close();
            assertThat(waiter.isTerminated()).isFalse();
            handles.get(0).close();

            Allocation a = waiter.getReceivedOnNext().get(0);
            assertThat(a.evicted()).containsExactly(h.get(1), h.get(0));
            closeAll(a.blocks());
        }
    }

    @Nested
    class Close {

        @Test
        void close_failsWaitersAndLaterCalls_butHeldGuardsStillClose() {
            BlockManager m = TestManagers.create(4);
            List<SequenceHash> h = TestTokens.roots(21, 2);
            List<ImmutableBlock> handles = TestBlocks.register(m, h);
            handles.get(1).close(); // cached
            ImmutableBlock active = handles.get(0);
            List<MutableBlock> held = allocate(m, 2);
            TestSubscriber<List<MutableBlock>> waiter = TestSubscriber.create();
            m.allocate(3).subscribe(waiter);
            WeakBlock weak = active.downgrade();

            StepVerifier.create(m.close()).verifyComplete();

            assertThat(m.isClosed()).isTrue();
            assertThat(waiter.expectTerminalError()).isInstanceOf(ManagerClosedException.class);
            assertThat(m.pendingAllocations()).isZero();
            assertThat(m.inactiveBlocks()).as("close drops the inactive pool").isZero();
            assertThat(m.registry().isPresent(h.get(1), m.tier())).isFalse();

            expectClosed(m.allocate());
            expectClosed(m.allocate(1));
            expectClosed(m.tryAllocate(1));
            expectClosed(m.allocateWithEvictions(1));
            expectClosed(m.withBlocks(1, blocks -> Mono.just("never")));
            expectClosed(m.match(h).collectList());
            expectClosed(m.scan(h));
            expectClosed(weak.upgrade());
            CompleteBlock staged = held.get(0).stage(h.get(1), m.blockSize());
            expectClosed(m.register(staged));
            expectClosed(m.registerAll(List.of(staged)));
            StepVerifier.create(m.close()).as("close is idempotent").verifyComplete();

            staged.close(); // not consumed by the failed registrations
            held.get(1).close();
            active.close();
            assertThat(m.resetBlocks() + m.inactiveBlocks()).isEqualTo(4);
            StepVerifier.create(m.resetInactive())
                    .expectNext(m.inactiveBlocks())
                    .verifyComplete();
            assertThat(m.resetBlocks()).isEqualTo(4);
        }

        @Test
        void close_notSubscribed_closesNothing() {
            BlockManager m = TestManagers.create(1);

            m.close();

            assertThat(m.isClosed()).isFalse();
            StepVerifier.create(m.allocate())
                    .consumeNextWith(MutableBlock::close)
                    .verifyComplete();
        }

        private void expectClosed(Mono<?> mono) {
            StepVerifier.create(mono)
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(ManagerClosedException.class)
                            .hasMessageContaining("is closed"))
                    .verify(TIMEOUT);
        }
    }
}
