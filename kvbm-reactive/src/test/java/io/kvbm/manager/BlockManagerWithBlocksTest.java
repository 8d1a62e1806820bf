package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.allocate;
import static io.kvbm.testing.TestBlocks.closeAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.test.subscriber.TestSubscriber;

/**
 * {@link BlockManager#withBlocks}: whatever way the body ends (value, empty, error, throw, cancel, timeout), every
 * block it left mutable goes back to the reset pool exactly once, and blocks it consumed are not released twice.
 */
class BlockManagerWithBlocksTest {

    @Test
    void withBlocks_bodyCompletes_emitsItsResultThenReleasesTheBlocks() {
        BlockManager m = TestManagers.create(4);
        AtomicReference<Integer> heldDuringBody = new AtomicReference<>();

        StepVerifier.create(m.withBlocks(3, blocks -> {
                    heldDuringBody.set(4 - m.availableBlocks());
                    return Mono.just(blocks.size());
                }))
                .expectNext(3)
                .verifyComplete();

        assertThat(heldDuringBody.get()).isEqualTo(3);
        assertThat(m.availableBlocks()).isEqualTo(4);
        assertThat(m.stats().inflightMutable()).isZero();
    }

    @Test
    void withBlocks_bodyCompletesEmpty_completesEmptyAndReleases() {
        BlockManager m = TestManagers.create(2);

        StepVerifier.create(m.withBlocks(2, blocks -> Mono.empty())).verifyComplete();

        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void withBlocks_bodyFails_propagatesTheErrorAndReleases() {
        BlockManager m = TestManagers.create(2);
        IllegalStateException boom = new IllegalStateException("boom");

        StepVerifier.create(m.withBlocks(2, blocks -> Mono.error(boom)))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(boom))
                .verify(TIMEOUT);

        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void withBlocks_bodyThrows_signalsTheExceptionAndReleases() {
        BlockManager m = TestManagers.create(2);

        StepVerifier.create(m.<Integer>withBlocks(2, blocks -> {
                    throw new IllegalStateException("thrown by the body");
                }))
                .expectErrorMessage("thrown by the body")
                .verify(TIMEOUT);

        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void withBlocks_bodyReturnsNull_signalsNpeAndReleases() {
        BlockManager m = TestManagers.create(2);

        StepVerifier.create(m.<Integer>withBlocks(2, blocks -> null))
                .expectError(NullPointerException.class)
                .verify(TIMEOUT);

        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void withBlocks_cancelledWhileBodyRuns_releases() {
        BlockManager m = TestManagers.create(2);
        TestPublisher<Integer> body = TestPublisher.create();

        StepVerifier.create(m.withBlocks(2, blocks -> body.mono()))
                .expectSubscription()
                .then(() -> assertThat(m.availableBlocks()).isZero())
                .thenCancel()
                .verify(TIMEOUT);

        body.assertCancelled();
        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void withBlocks_timeoutWhileBodyRuns_releases() {
        BlockManager m = TestManagers.create(2);

        StepVerifier.withVirtualTime(
                        () -> m.withBlocks(2, blocks -> Mono.never()).timeout(Duration.ofSeconds(3)))
                .expectSubscription()
                .then(() -> assertThat(m.availableBlocks()).isZero())
                .thenAwait(Duration.ofSeconds(3))
                .expectError(TimeoutException.class)
                .verify(TIMEOUT);

        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void withBlocks_cancelledWhileWaitingForBlocks_takesNothingAndNeverRunsTheBody() {
        BlockManager m = TestManagers.create(2);
        List<MutableBlock> held = allocate(m, 2);
        AtomicReference<List<MutableBlock>> bodyRanWith = new AtomicReference<>();
        TestSubscriber<Integer> subscriber = TestSubscriber.create();
        m.withBlocks(1, blocks -> {
                    bodyRanWith.set(blocks);
                    return Mono.just(1);
                })
                .subscribe(subscriber);
        assertThat(m.pendingAllocations()).isEqualTo(1);

        subscriber.cancel();
        closeAll(held);

        assertThat(m.pendingAllocations()).isZero();
        assertThat(bodyRanWith.get()).isNull();
        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void withBlocks_waitingForBlocks_runsTheBodyWhenTheyAreFreed() {
        BlockManager m = TestManagers.create(2);
        List<MutableBlock> held = allocate(m, 2);
        TestSubscriber<Integer> subscriber = TestSubscriber.create();
        m.withBlocks(
                        2,
                        blocks -> Mono.just(
                                blocks.get(0).blockId() + blocks.get(1).blockId()))
                .subscribe(subscriber);

        closeAll(held);

        assertThat(subscriber.isTerminatedComplete()).isTrue();
        assertThat(subscriber.getReceivedOnNext()).containsExactly(1);
        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void withBlocks_bodyRegistersSome_keepsTheRegisteredAndReleasesOnlyTheRest() {
        BlockManager m = TestManagers.create(4);
        SequenceHash hash = TestTokens.roots(31, 1).get(0);

        ImmutableBlock kept = m.withBlocks(3, blocks -> m.register(blocks.get(1).stage(hash, m.blockSize())))
                .block(TIMEOUT);

        assertThat(kept.blockId()).isEqualTo(1);
        assertThat(StoreAudit.stateCounts(m)).containsExactly(3, 0, 0, 1, 0, 0);
        assertThat(StoreAudit.violations(m)).isEmpty();
        assertThat(m.stats().inflightMutable()).isZero();
        kept.close();
        assertThat(m.inactiveBlocks()).isEqualTo(1);
        assertThat(m.resetBlocks()).isEqualTo(3);
    }

    @Test
    void withBlocks_bodyStagesAndClosesItself_isNotReleasedTwice() {
        BlockManager m = TestManagers.create(2);
        SequenceHash hash = TestTokens.roots(32, 1).get(0);

        StepVerifier.create(m.withBlocks(2, blocks -> {
                    blocks.get(0).stage(hash, m.blockSize()).close(); // consumed, then the staged block released
                    blocks.get(1).close(); // released early by the body
                    return Mono.just("done");
                }))
                .expectNext("done")
                .verifyComplete();

        assertThat(StoreAudit.violations(m)).isEmpty();
        assertThat(m.resetBlocks()).isEqualTo(2);
        assertThat(m.stats().stagings()).isEqualTo(1);
    }

    @Test
    void withBlocks_zeroBlocks_runsTheBodyWithAnEmptyList() {
        BlockManager m = TestManagers.create(1);

        StepVerifier.create(m.withBlocks(0, blocks -> Mono.just(blocks.isEmpty())))
                .expectNext(true)
                .verifyComplete();
    }

    @Test
    void withBlocks_notSubscribed_allocatesNothing() {
        BlockManager m = TestManagers.create(1);
        AtomicReference<Boolean> ran = new AtomicReference<>(false);

        Mono<Integer> scoped = m.withBlocks(1, blocks -> {
            ran.set(true);
            return Mono.just(1);
        });

        assertThat(ran.get()).isFalse();
        assertThat(m.availableBlocks()).isEqualTo(1);
        StepVerifier.create(scoped).expectNext(1).verifyComplete();
        StepVerifier.create(scoped)
                .as("each subscription is a new scope")
                .expectNext(1)
                .verifyComplete();
        assertThat(m.stats().allocations()).isEqualTo(2);
    }
}
