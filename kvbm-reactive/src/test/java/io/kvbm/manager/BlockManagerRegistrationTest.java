package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.allocate;
import static io.kvbm.testing.TestBlocks.closeAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The {@link Mono}s of {@link BlockManager#register} and {@link BlockManager#registerAll}: the block is consumed when
 * the registration runs (not at assembly), a cancelled registration leaves it with the caller, and the duplication
 * policy decides what a second block with a held hash becomes.
 */
class BlockManagerRegistrationTest {

    @Nested
    class Register {

        @Test
        void register_notSubscribed_leavesTheBlockWithTheCaller() {
            BlockManager m = TestManagers.create(1);
            CompleteBlock staged = TestBlocks.stage(m, TestTokens.roots(81, 1)).get(0);

            m.register(staged);

            MutableBlock back = staged.reset(); // still live
            back.close();
            assertThat(m.stats().registrations()).isZero();
        }

        @Test
        void register_emitsAHandleWithTheStagedIdAndHash() {
            BlockManager m = TestManagers.create(2);
            SequenceHash hash = TestTokens.roots(82, 1).get(0);
            CompleteBlock staged = TestBlocks.stage(m, hash);

            StepVerifier.create(m.register(staged))
                    .assertNext(b -> {
                        assertThat(b.blockId()).isEqualTo(staged.blockId());
                        assertThat(b.sequenceHash()).isEqualTo(hash);
                        assertThat(b.tier()).isEqualTo(m.tier());
                        assertThat(b.managerId()).isEqualTo(m.id());
                        assertThat(m.registry().isPresent(hash, m.tier())).isTrue();
                        b.close();
                    })
                    .verifyComplete();
            assertThat(m.stats().registrations()).isEqualTo(1);
        }

        @Test
        void register_sameBlockSubscribedTwice_secondSubscriptionFailsWithIse() {
            BlockManager m = TestManagers.create(1);
            CompleteBlock staged = TestBlocks.stage(m, TestTokens.roots(83, 1)).get(0);
            Mono<ImmutableBlock> first = m.register(staged);
            Mono<ImmutableBlock> second = m.register(staged); // assembled while still live

            ImmutableBlock handle = first.block(TIMEOUT);
            StepVerifier.create(second)
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("block " + staged.blockId())
                            .hasMessageContaining("consumed"))
                    .verify(TIMEOUT);
            StepVerifier.create(first)
                    .as("resubscribing the same Mono")
                    .expectError(IllegalStateException.class)
                    .verify(TIMEOUT);

            assertThat(m.stats().registrations()).isEqualTo(1);
            handle.close();
        }

        @Test
        void register_cancelledBeforeRequest_leavesTheBlockUnconsumed() {
            BlockManager m = TestManagers.create(1);
            CompleteBlock staged = TestBlocks.stage(m, TestTokens.roots(84, 1)).get(0);

            StepVerifier.create(m.register(staged), 0).thenCancel().verify(TIMEOUT);

            assertThat(m.stats().registrations()).isZero();
            StepVerifier.create(m.register(staged))
                    .consumeNextWith(ImmutableBlock::close)
                    .verifyComplete();
        }

        @Test
        void register_cancelledWhileQueuedBehindAnotherOperation_leavesTheBlockUnconsumed() {
            BlockManager m = TestManagers.create(2);
            CompleteBlock staged = TestBlocks.stage(m, TestTokens.roots(85, 1)).get(0);
            AtomicReference<Subscription> queued = new AtomicReference<>();

            // Inside onNext the drain loop is busy, so the registration is queued; cancelling it there must win.
            m.allocate().subscribe(block -> {
                m.register(staged).subscribe(new BaseSubscriber<>() {
                    @Override
                    protected void hookOnSubscribe(Subscription s) {
                        queued.set(s);
                        s.request(1);
                    }
                });
                queued.get().cancel();
                block.close();
            });

            assertThat(m.stats().registrations()).isZero();
            assertThat(m.stats().inflightImmutable()).isZero();
            StepVerifier.create(m.register(staged))
                    .consumeNextWith(ImmutableBlock::close)
                    .verifyComplete();
        }

        @Test
        void register_rejectPolicy_emitsTheExistingPrimaryAndFreesTheStagedSlotAtOnce() {
            BlockManager m = TestManagers.create(2, DuplicationPolicy.REJECT, EvictionPolicy.lru());
            SequenceHash hash = TestTokens.roots(86, 1).get(0);
            ImmutableBlock primary = TestBlocks.register(m, hash);
            CompleteBlock second = TestBlocks.stage(m, hash);

            StepVerifier.create(m.register(second))
                    .assertNext(b -> {
                        assertThat(b.blockId()).isEqualTo(primary.blockId()).isNotEqualTo(second.blockId());
                        assertThat(m.resetBlocks())
                                .as("the staged slot is back at once")
                                .isEqualTo(1);
                        b.close();
                    })
                    .verifyComplete();

            assertThat(m.stats().registrationDedup()).isEqualTo(1);
            assertThat(m.stats().registrations()).isEqualTo(2);
            StepVerifier.create(m.allocate())
                    .assertNext(b -> {
                        assertThat(b.blockId()).isEqualTo(second.blockId());
                        b.close();
                    })
                    .verifyComplete();
            primary.close();
        }

        @Test
        void register_allowPolicy_createsADuplicateThatPinsThePrimary() {
            BlockManager m = TestManagers.create(2);
            SequenceHash hash = TestTokens.roots(87, 1).get(0);
            ImmutableBlock primary = TestBlocks.register(m, hash);
            CompleteBlock second = TestBlocks.stage(m, hash);

            ImmutableBlock duplicate = m.register(second).block(TIMEOUT);

            assertThat(duplicate.blockId()).isEqualTo(second.blockId()).isNotEqualTo(primary.blockId());
            assertThat(m.stats().duplicateBlocks()).isEqualTo(1);
            primary.close();
            assertThat(m.inactiveBlocks()).as("pinned by the duplicate").isZero();
            duplicate.close();
            assertThat(StoreAudit.stateCounts(m))
                    .as("duplicate → reset, primary → inactive")
                    .containsExactly(1, 0, 0, 0, 0, 1);
        }

        @Test
        void register_hashOfACachedPrimary_resurrectsIt() {
            for (DuplicationPolicy policy : DuplicationPolicy.values()) {
                BlockManager m = TestManagers.create(2, policy, EvictionPolicy.lru());
                SequenceHash hash = TestTokens.roots(88, 1).get(0);
                TestBlocks.cache(m, List.of(hash));
                CompleteBlock second = TestBlocks.stage(m, hash);

                ImmutableBlock handle = m.register(second).block(TIMEOUT);

                assertThat(m.inactiveBlocks())
                        .as("%s: the cached primary is active again", policy)
                        .isZero();
                assertThat(handle.blockId())
                        .as("%s", policy)
                        .isEqualTo(policy == DuplicationPolicy.ALLOW ? second.blockId() : 0);
                handle.close();
            }
        }
    }

    @Nested
    class RegisterAll {

        @Test
        void registerAll_emitsHandlesAlignedWithTheInput() {
            BlockManager m = TestManagers.create(3);
            List<SequenceHash> chain = TestTokens.chain(0, 3);
            List<CompleteBlock> staged = new ArrayList<>(TestBlocks.stage(m, chain));
            java.util.Collections.reverse(staged);

            StepVerifier.create(m.registerAll(staged))
                    .assertNext(handles -> {
                        assertThat(handles).extracting(ImmutableBlock::blockId).containsExactly(2, 1, 0);
                        assertThatThrownBy(() -> handles.add(null)).isInstanceOf(UnsupportedOperationException.class);
                        closeAll(handles);
                    })
                    .verifyComplete();
        }

        @Test
        void registerAll_emptyInput_emitsEmptyList() {
            BlockManager m = TestManagers.create(1);

            StepVerifier.create(m.registerAll(List.of())).expectNext(List.of()).verifyComplete();
        }

        @Test
        void registerAll_oneBlockClosedBeforeSubscription_failsAndConsumesNone() {
            BlockManager m = TestManagers.create(3);
            List<CompleteBlock> staged = TestBlocks.stage(m, TestTokens.roots(91, 3));
            Mono<List<ImmutableBlock>> batch = m.registerAll(staged);
            staged.get(2).close();

            StepVerifier.create(batch)
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("block " + staged.get(2).blockId())
                            .hasMessageContaining("closed"))
                    .verify(TIMEOUT);

            assertThat(m.stats().registrations()).isZero();
            StepVerifier.create(m.registerAll(staged.subList(0, 2)))
                    .as("the other blocks are still live")
                    .consumeNextWith(TestBlocks::closeAll)
                    .verifyComplete();
        }

        @Test
        void registerAll_failedBatch_leavesTheBlocksItGaveBackLeakTracked() throws InterruptedException {
            BlockManager m = TestManagers.create(2); // PARANOID: every guard is tracked
            failBatchAndDropTheBlocks(m);

            // the closed block is back at once; the other one is unreachable and must be recovered by the detector
            for (int i = 0; i < 200 && m.stats().leakedBlocks() == 0; i++) {
                System.gc();
                Thread.sleep(10); // test thread only
            }

            assertThat(m.stats().leakedBlocks())
                    .as("the unconsumed block is still leak-tracked")
                    .isEqualTo(1);
            assertThat(m.resetBlocks()).isEqualTo(2);
        }

        /** In its own frame, so that no local keeps the guards reachable. */
        private void failBatchAndDropTheBlocks(BlockManager m) {
            List<CompleteBlock> staged = TestBlocks.stage(m, TestTokens.roots(96, 2));
            Mono<List<ImmutableBlock>> batch = m.registerAll(staged);
            staged.get(1).close();
            StepVerifier.create(batch).expectError(IllegalStateException.class).verify(TIMEOUT);
        }

        @Test
        void registerAll_sameHashTwiceInBatch_allow_secondIsADuplicateOfTheFirst() {
            BlockManager m = TestManagers.create(2);
            SequenceHash hash = TestTokens.roots(92, 1).get(0);
            List<CompleteBlock> staged = TestBlocks.stage(m, List.of(hash, hash));

            StepVerifier.create(m.registerAll(staged))
                    .assertNext(handles -> {
                        assertThat(handles).extracting(ImmutableBlock::blockId).containsExactly(0, 1);
                        assertThat(m.stats().duplicateBlocks()).isEqualTo(1);
                        closeAll(handles);
                    })
                    .verifyComplete();
            assertThat(StoreAudit.stateCounts(m)).containsExactly(1, 0, 0, 0, 0, 1);
        }

        @Test
        void registerAll_sameHashTwiceInBatch_reject_bothGetTheFirstBlock() {
            BlockManager m = TestManagers.create(2, DuplicationPolicy.REJECT, EvictionPolicy.lru());
            SequenceHash hash = TestTokens.roots(93, 1).get(0);
            List<CompleteBlock> staged = TestBlocks.stage(m, List.of(hash, hash));

            StepVerifier.create(m.registerAll(staged))
                    .assertNext(handles -> {
                        assertThat(handles).extracting(ImmutableBlock::blockId).containsExactly(0, 0);
                        assertThat(handles.get(0).useCount()).isEqualTo(2);
                        assertThat(m.resetBlocks()).isEqualTo(1);
                        closeAll(handles);
                    })
                    .verifyComplete();
            assertThat(m.stats().registrationDedup()).isEqualTo(1);
        }

        @Test
        void registerAll_cancelledBeforeRequest_consumesNothing() {
            BlockManager m = TestManagers.create(2);
            List<CompleteBlock> staged = TestBlocks.stage(m, TestTokens.roots(94, 2));

            StepVerifier.create(m.registerAll(staged), 0).thenCancel().verify(TIMEOUT);

            assertThat(m.stats().registrations()).isZero();
            closeAll(staged);
            assertThat(m.resetBlocks()).isEqualTo(2);
        }

        @Test
        void registerAll_notSubscribed_consumesNothing() {
            BlockManager m = TestManagers.create(2);
            List<CompleteBlock> staged = TestBlocks.stage(m, TestTokens.roots(95, 2));

            m.registerAll(staged);

            List<MutableBlock> back =
                    List.of(staged.get(0).reset(), staged.get(1).reset());
            closeAll(back);
            assertThat(allocate(m, 2)).hasSize(2).allSatisfy(MutableBlock::close);
        }
    }
}
