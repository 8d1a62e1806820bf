package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.testing.Gc;
import io.kvbm.testing.RecordingSubscriber;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Hooks;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Fault tests: a subscriber that <em>throws</em> from a signal. Reactive Streams §2.13 forbids it, but user code does it
 * (a raw {@link CoreSubscriber}, a buggy adapter), and the manager signals from inside its drain loop, in the middle
 * of other callers' work. What the library guarantees (docs/reliability.md, "A subscriber that throws"):
 *
 * <ul>
 *   <li>the exception never reaches the drain loop: it is reported through {@code Operators.onErrorDropped} (so
 *       {@code Hooks.onErrorDropped} sees it) and is not counted as an internal error (the audit stays clean);
 *   <li>the subscription that threw is treated as cancelled (§2.13): it gets no further signal;
 *   <li>a value already passed to {@code onNext} belongs to the subscriber, as for any delivered value (it may have
 *       stored it before throwing); values not yet emitted (the rest of a match) are closed by the library; a value
 *       the subscriber drops is returned by the leak detector;
 *   <li>everybody else is unaffected: the operation that was running completes, waiting allocations behind the
 *       thrower are served in the same step, the other event subscribers keep receiving, and the books balance.
 * </ul>
 *
 * <p>Reactor's own subscribers ({@code subscribe(Consumer)}, {@code map}, {@code BaseSubscriber}) never throw from
 * {@code onNext}: they catch the user's exception, cancel upstream and signal {@code onError} downstream
 * ({@code Operators.onOperatorError}); {@link #reactorMap_throwingOnTheBlock_errorDownstreamAndLeakDetectorReturnsIt}
 * checks that path.
 */
class ThrowingSubscriberFaultTest {

    private final List<Throwable> dropped = new CopyOnWriteArrayList<>();

    @BeforeEach
    void captureDroppedErrors() {
        Hooks.onErrorDropped(dropped::add);
    }

    @AfterEach
    void resetHooks() {
        Hooks.resetOnErrorDropped();
    }

    // ---------------------------------------------------------------------------------------------------------
    // allocation

    @Test
    void allocate_onNextThrowsDuringSubscribe_blockIsTheSubscribersAndTheManagerCarriesOn() {
        BlockManager m = TestManagers.create(2);
        Throwing<MutableBlock> sub = Throwing.inOnNext();

        m.allocate().subscribe(sub); // served inline, during subscribe: the loop runs on this thread

        assertThat(sub.values).as("the value was handed over before the throw").hasSize(1);
        assertThat(sub.terminals.get())
                .as("no signal after the throw (§2.13: cancelled)")
                .isZero();
        assertThat(dropped).singleElement().isSameAs(sub.thrown);
        assertThat(StoreAudit.violations(m)).as("not an internal error").isEmpty();

        // the manager works on; the delivered block is the subscriber's and is closed normally
        List<MutableBlock> more = TestBlocks.allocate(m, 1);
        TestBlocks.closeAll(more);
        sub.values.get(0).close();
        StoreAudit.assertStates(m, StoreAudit.counts(2, 0, 0, 0, 0, 0));
    }

    @Test
    void allocate_waiterThrowsWhenAReleaseServesIt_theWaiterBehindItIsServedInTheSameStep() {
        BlockManager m = TestManagers.create(2);
        SequenceHash h = TestTokens.roots(1, 1).get(0);
        // A duplicate pinning its primary: closing the duplicate's handle frees both slots in one step.
        ImmutableBlock primary = TestBlocks.register(m, h);
        ImmutableBlock duplicate = m.register(TestBlocks.stage(m, h)).block(TIMEOUT);
        primary.close();
        assertThat(m.availableBlocks()).isZero();
        Throwing<List<MutableBlock>> first = Throwing.inOnNext();
        RecordingSubscriber<List<MutableBlock>> second = RecordingSubscriber.requesting();
        m.allocate(1).subscribe(first);
        m.allocate(1).subscribe(second);
        assertThat(m.pendingAllocations()).isEqualTo(2);

        duplicate.close(); // serves both waiters from inside this release

        assertThat(first.values).hasSize(1);
        assertThat(dropped).singleElement().isSameAs(first.thrown);
        assertThat(second.values()).as("served in the same step as the thrower").hasSize(1);
        assertThat(second.isCompleted()).isTrue();
        assertThat(m.pendingAllocations()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
        first.values.get(0).forEach(MutableBlock::close);
        second.values().get(0).forEach(MutableBlock::close);
        StoreAudit.assertStates(m, StoreAudit.counts(2, 0, 0, 0, 0, 0));
    }

    @Test
    void allocate_waitersOnErrorThrowsWhenTheManagerCloses_closeCompletesAndFailsEveryWaiter() {
        BlockManager m = TestManagers.create(1);
        List<MutableBlock> hog = TestBlocks.allocate(m, 1);
        Throwing<List<MutableBlock>> first = Throwing.inOnError();
        RecordingSubscriber<List<MutableBlock>> second = RecordingSubscriber.requesting();
        m.allocate(1).subscribe(first);
        m.allocate(1).subscribe(second);

        m.close().block(TIMEOUT);

        assertThat(first.errors).singleElement().isInstanceOf(ManagerClosedException.class);
        assertThat(dropped).singleElement().isSameAs(first.thrown);
        assertThat(second.error()).isInstanceOf(ManagerClosedException.class);
        assertThat(m.pendingAllocations()).isZero();
        assertThat(m.isClosed()).isTrue();
        assertThat(StoreAudit.violations(m)).isEmpty();
        TestBlocks.closeAll(hog);
    }

    @Test
    void tryAllocate_onCompleteThrowsOnAnEmptyResult_reportedAndNotAnInternalError() {
        BlockManager m = TestManagers.create(1);
        List<MutableBlock> hog = TestBlocks.allocate(m, 1);
        Throwing<List<MutableBlock>> sub = Throwing.inOnComplete();

        m.tryAllocate(1).subscribe(sub);

        assertThat(sub.terminals.get()).isEqualTo(1);
        assertThat(dropped).singleElement().isSameAs(sub.thrown);
        assertThat(StoreAudit.violations(m)).isEmpty();
        TestBlocks.closeAll(hog);
    }

    // ---------------------------------------------------------------------------------------------------------
    // registration and lookups (StoreMono)

    @Test
    void register_onNextThrows_handleIsTheSubscribersAndTheRegistrationStands() {
        BlockManager m = TestManagers.create(2);
        SequenceHash h = TestTokens.roots(2, 1).get(0);
        CompleteBlock staged = TestBlocks.stage(m, h);
        Throwing<ImmutableBlock> sub = Throwing.inOnNext();

        m.register(staged).subscribe(sub);

        assertThat(sub.values).hasSize(1);
        assertThat(sub.terminals.get()).isZero();
        assertThat(dropped).singleElement().isSameAs(sub.thrown);
        assertThat(StoreAudit.violations(m)).isEmpty();
        assertThat(m.registry().isPresent(h, m.tier())).isTrue();
        sub.values.get(0).close();
        StoreAudit.assertStates(m, StoreAudit.counts(1, 0, 0, 0, 0, 1));
    }

    @Test
    void scan_onNextThrows_hitsAreTheSubscribers() {
        BlockManager m = TestManagers.create(3);
        List<SequenceHash> hashes = TestTokens.roots(3, 3);
        TestBlocks.cache(m, hashes);
        Throwing<java.util.Map<SequenceHash, ImmutableBlock>> sub = Throwing.inOnNext();

        m.scan(hashes).subscribe(sub);

        assertThat(sub.values)
                .singleElement()
                .satisfies(hits -> assertThat(hits).hasSize(3));
        assertThat(dropped).singleElement().isSameAs(sub.thrown);
        assertThat(StoreAudit.violations(m)).isEmpty();
        sub.values.get(0).values().forEach(ImmutableBlock::close);
        StoreAudit.assertStates(m, StoreAudit.counts(0, 0, 0, 0, 0, 3));
    }

    // ---------------------------------------------------------------------------------------------------------
    // match (MatchFlux)

    @Test
    void match_onNextThrowsOnTheFirstHit_theHitsNotYetEmittedAreClosedByTheLibrary() {
        BlockManager m = TestManagers.create(3);
        List<SequenceHash> chain = TestTokens.chain(10, 3);
        TestBlocks.cache(m, chain);
        Throwing<ImmutableBlock> sub = Throwing.inOnNext();

        m.match(chain).subscribe(sub);

        assertThat(sub.values).as("one hit handed over, then the throw").hasSize(1);
        assertThat(sub.terminals.get()).isZero();
        assertThat(dropped).singleElement().isSameAs(sub.thrown);
        assertThat(StoreAudit.violations(m)).isEmpty();
        StoreAudit.assertStates(m, StoreAudit.counts(0, 0, 0, 1, 0, 2)); // the subscriber's hit stays active
        sub.values.get(0).close();
        StoreAudit.assertStates(m, StoreAudit.counts(0, 0, 0, 0, 0, 3));
        // and the cache serves the next lookup
        List<ImmutableBlock> again = TestBlocks.match(m, chain);
        assertThat(again).hasSize(3);
        TestBlocks.closeAll(again);
    }

    @Test
    void match_onNextThrowsOnALaterRequest_restClosedAndTheRequestersThreadDoesNotSeeTheError() {
        BlockManager m = TestManagers.create(3);
        List<SequenceHash> chain = TestTokens.chain(20, 3);
        TestBlocks.cache(m, chain);
        Throwing<ImmutableBlock> sub = Throwing.inOnNext(2); // accepts one, throws on the second
        sub.initialRequest = 1;

        m.match(chain).subscribe(sub);
        assertThat(sub.values).hasSize(1);
        sub.subscription.request(5); // emission on this thread, outside the drain loop

        assertThat(sub.values).hasSize(2);
        assertThat(dropped).singleElement().isSameAs(sub.thrown);
        assertThat(StoreAudit.violations(m)).isEmpty();
        StoreAudit.assertStates(m, StoreAudit.counts(0, 0, 0, 2, 0, 1));
        TestBlocks.closeAll(sub.values);
        StoreAudit.assertStates(m, StoreAudit.counts(0, 0, 0, 0, 0, 3));
    }

    @Test
    void reactorMap_throwingOnTheBlock_errorDownstreamAndLeakDetectorReturnsIt() {
        BlockManager m = TestManagers.create(3);
        List<SequenceHash> chain = TestTokens.chain(30, 3);
        TestBlocks.cache(m, chain);
        RecordingSubscriber<Object> downstream = RecordingSubscriber.requesting();

        // Reactor's map catches the exception, cancels the match (closing hits 2 and 3) and signals onError;
        // hit 1 was handed to the mapper, which dropped it: only the leak detector can return it.
        m.match(chain)
                .map(block -> {
                    throw new IllegalStateException("mapper fails on " + block.blockId());
                })
                .subscribe(downstream);

        assertThat(downstream.error()).hasMessageStartingWith("mapper fails on");
        assertThat(dropped).isEmpty();
        assertThat(m.inactiveBlocks()).as("hits 2 and 3 closed by the library").isEqualTo(2);
        Gc.await(() -> m.inactiveBlocks() == 3);
        assertThat(m.stats().leakedBlocks()).isEqualTo(1);
        StoreAudit.assertStates(m, StoreAudit.counts(0, 0, 0, 0, 0, 3));
    }

    // ---------------------------------------------------------------------------------------------------------
    // events (EventBroadcaster)

    @Test
    void events_subscriberThrowsInsideARegistration_registrationSucceedsOthersKeepReceiving() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        try {
            // batches of one event: every transition closes a batch and delivers it inside the store operation
            BlockManager m =
                    TestManagers.create(4, b -> b.eventScheduler(time).eventBatching(1, Duration.ofMillis(10)));
            Throwing<EventBatch> thrower = Throwing.inOnNext();
            RecordingSubscriber<EventBatch> other = RecordingSubscriber.requesting();
            m.events().subscribe(thrower);
            m.events().subscribe(other);
            List<SequenceHash> hashes = TestTokens.roots(4, 3);

            List<ImmutableBlock> handles = TestBlocks.register(m, hashes);

            assertThat(handles).hasSize(3);
            assertThat(thrower.values).as("the first batch, then the throw").hasSize(1);
            assertThat(thrower.terminals.get()).isZero();
            assertThat(dropped).singleElement().isSameAs(thrower.thrown);
            assertThat(other.values())
                    .extracting(EventBatch::kind)
                    .containsExactly(EventKind.STORED, EventKind.STORED, EventKind.STORED);
            assertThat(StoreAudit.violations(m)).isEmpty();
            TestBlocks.closeAll(handles);
            m.resetInactive().block(TIMEOUT);
            assertThat(other.values()).hasSize(6);
            StoreAudit.assertStates(m, StoreAudit.counts(4, 0, 0, 0, 0, 0));
            other.cancel();
        } finally {
            time.dispose();
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** A raw subscriber that requests on subscribe and throws from one kind of signal (violating §2.13). */
    static final class Throwing<T> implements CoreSubscriber<T> {

        final List<T> values = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicInteger terminals = new AtomicInteger();
        final RuntimeException thrown = new IllegalStateException("subscriber bug (thrown on purpose)");
        private final Consumer<String> onSignal;
        long initialRequest = Long.MAX_VALUE;

        @Nullable
        Subscription subscription;

        private Throwing(Consumer<String> onSignal) {
            this.onSignal = onSignal;
        }

        /** Throws from the {@code nth} onNext (1-based). */
        static <T> Throwing<T> inOnNext(int nth) {
            AtomicInteger seen = new AtomicInteger();
            Throwing<T>[] self = new Throwing[1];
            self[0] = new Throwing<>(signal -> {
                if (signal.equals("next") && seen.incrementAndGet() == nth) {
                    throw self[0].thrown;
                }
            });
            return self[0];
        }

        static <T> Throwing<T> inOnNext() {
            return inOnNext(1);
        }

        static <T> Throwing<T> inOnError() {
            return throwingOn("error");
        }

        static <T> Throwing<T> inOnComplete() {
            return throwingOn("complete");
        }

        private static <T> Throwing<T> throwingOn(String kind) {
            Throwing<T>[] self = new Throwing[1];
            self[0] = new Throwing<>(signal -> {
                if (signal.equals(kind)) {
                    throw self[0].thrown;
                }
            });
            return self[0];
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(initialRequest);
        }

        @Override
        public void onNext(T t) {
            values.add(t); // stored first: what was handed over is the subscriber's, whatever happens next
            onSignal.accept("next");
        }

        @Override
        public void onError(Throwable t) {
            terminals.incrementAndGet();
            errors.add(t);
            onSignal.accept("error");
        }

        @Override
        public void onComplete() {
            terminals.incrementAndGet();
            onSignal.accept("complete");
        }
    }
}
