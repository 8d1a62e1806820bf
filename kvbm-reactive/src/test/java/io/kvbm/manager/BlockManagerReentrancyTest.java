package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.closeAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.subscriber.TestSubscriber;

/**
 * Subscribers that call back into the manager from {@code onNext}: the drain loop queues those calls and runs them
 * after the current operation (trampolining), so long chains of re-entrant calls neither recurse into a
 * {@link StackOverflowError} nor run an operation in the middle of another one.
 */
class BlockManagerReentrancyTest {

    private static final int ROUNDS = 10_000;

    @Test
    void allocate_closeInOnNextAndResubscribe_tenThousandTimes_noStackOverflow() {
        BlockManager m = TestManagers.create(1);

        StepVerifier.create(m.allocate().doOnNext(MutableBlock::close).repeat(ROUNDS))
                .expectNextCount(ROUNDS + 1)
                .verifyComplete();

        assertThat(m.stats().allocations()).isEqualTo(ROUNDS + 1);
        assertThat(m.availableBlocks()).isEqualTo(1);
    }

    @Test
    void fullLifecycle_reenteredFromOnNext_tenThousandRounds_booksBalance() {
        BlockManager m = TestManagers.create(2);
        List<SequenceHash> hashes = TestTokens.roots(41, ROUNDS);
        AtomicInteger round = new AtomicInteger();

        // allocate → stage → register → match → close, every step subscribed from the previous step's onNext
        Flux<Integer> rounds = m.allocate()
                .flatMap(block -> m.register(block.stage(hashes.get(round.get()), m.blockSize())))
                .flatMap(handle -> m.match(List.of(handle.sequenceHash()))
                        .doOnNext(ImmutableBlock::close)
                        .then(Mono.fromRunnable(handle::close))
                        .thenReturn(round.getAndIncrement()))
                .repeat(ROUNDS - 1);

        StepVerifier.create(rounds).expectNextCount(ROUNDS).verifyComplete();

        assertThat(m.stats().registrations()).isEqualTo(ROUNDS);
        assertThat(m.stats().evictions()).isEqualTo(ROUNDS - 2); // two slots: every later round evicts
        assertThat(m.inactiveBlocks()).isEqualTo(2);
        assertThat(m.stats().inflightImmutable()).isZero();
    }

    @Test
    void allocate_calledFromOnNext_isQueuedUntilOnNextReturns() {
        BlockManager m = TestManagers.create(2);
        TestSubscriber<MutableBlock> inner = TestSubscriber.create();
        AtomicBoolean innerServedDuringOnNext = new AtomicBoolean(true);

        m.allocate().subscribe(outer -> {
            m.allocate().subscribe(inner);
            // the manager is busy delivering `outer`: the nested allocation waits its turn
            innerServedDuringOnNext.set(!inner.getReceivedOnNext().isEmpty());
            outer.close();
        });

        assertThat(innerServedDuringOnNext.get())
                .as("re-entrant call ran recursively")
                .isFalse();
        assertThat(inner.isTerminatedComplete())
                .as("re-entrant call ran after onNext")
                .isTrue();
        assertThat(inner.getReceivedOnNext().get(0).blockId()).isEqualTo(1);
        inner.getReceivedOnNext().get(0).close();
    }

    @Test
    void waitingAllocation_closesAndAllocatesAgainInOnNext_isServedBeforeTheReleaseReturns() {
        BlockManager m = TestManagers.create(1);
        MutableBlock held = m.allocate().block(TIMEOUT);
        TestSubscriber<MutableBlock> second = TestSubscriber.create();
        AtomicInteger firstServed = new AtomicInteger();
        m.allocate().subscribe(block -> {
            firstServed.incrementAndGet();
            block.close();
            m.allocate().subscribe(second);
        });
        assertThat(m.pendingAllocations()).isEqualTo(1);

        held.close(); // serves the waiter on this thread; its re-entrant calls are trampolined before close() returns

        assertThat(firstServed.get()).isEqualTo(1);
        assertThat(second.isTerminatedComplete()).isTrue();
        assertThat(m.pendingAllocations()).isZero();
        second.getReceivedOnNext().get(0).close();
    }

    @Test
    void manyWaiters_eachClosingItsBlockInOnNext_cascadeWithoutStackOverflow() {
        BlockManager m = TestManagers.create(1, b -> b.maxPendingAllocations(ROUNDS));
        MutableBlock held = m.allocate().block(TIMEOUT);
        List<TestSubscriber<MutableBlock>> waiters = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            TestSubscriber<MutableBlock> waiter = TestSubscriber.create();
            waiters.add(waiter);
            m.allocate().doOnNext(MutableBlock::close).subscribe(waiter);
        }

        held.close(); // one release serves all ROUNDS waiters, one after the other

        assertThat(waiters).allSatisfy(w -> assertThat(w.isTerminatedComplete()).isTrue());
        assertThat(m.pendingAllocations()).isZero();
        assertThat(m.stats().allocations()).isEqualTo(ROUNDS + 1);
        assertThat(m.availableBlocks()).isEqualTo(1);
    }

    @Test
    void match_closingEachHandleInOnNext_booksBalance() {
        BlockManager m = TestManagers.create(64);
        List<SequenceHash> chain = TestTokens.chain(0, 64);
        TestBlocks.cache(m, chain);

        StepVerifier.create(m.match(chain).doOnNext(ImmutableBlock::close).repeat(99))
                .expectNextCount(64 * 100)
                .verifyComplete();

        assertThat(m.inactiveBlocks()).isEqualTo(64);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(m.stats().matchBlocksReturned()).isEqualTo(6400);
    }

    @Test
    void register_subscribedFromAnotherOperationsOnNext_runsAfterIt() {
        BlockManager m = TestManagers.create(2);
        SequenceHash hash = TestTokens.roots(42, 1).get(0);
        List<ImmutableBlock> registered = new ArrayList<>();
        AtomicBoolean registeredDuringOnNext = new AtomicBoolean(true);

        m.allocate(2).subscribe(blocks -> {
            m.register(blocks.get(0).stage(hash, m.blockSize())).subscribe(registered::add);
            registeredDuringOnNext.set(!registered.isEmpty());
            blocks.get(1).close();
        });

        assertThat(registeredDuringOnNext.get()).isFalse();
        assertThat(registered).hasSize(1);
        closeAll(registered);
    }
}
