package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.allocate;
import static io.kvbm.testing.TestBlocks.closeAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.block.WeakBlock;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The lookup publishers: {@link BlockManager#match} (a backpressured {@link Flux} over one atomic prefix lookup),
 * {@link BlockManager#scan}, {@link WeakBlock#upgrade()} and {@link BlockManager#resetInactive()}. Each is cold, each
 * subscription is a fresh lookup, and handles not delivered to the subscriber are closed by the library.
 */
class BlockManagerLookupTest {

    @Nested
    class Match {

        @Test
        void match_notSubscribed_looksUpNothing() {
            BlockManager m = TestManagers.create(3);
            List<SequenceHash> chain = TestTokens.chain(0, 3);
            TestBlocks.cache(m, chain);

            m.match(chain);

            assertThat(m.inactiveBlocks()).isEqualTo(3);
            assertThat(m.stats().matchHashesRequested()).isZero();
        }

        @Test
        void match_withBackpressure_looksUpAtSubscriptionAndEmitsOnlyWhatIsRequested() {
            BlockManager m = TestManagers.create(3);
            List<SequenceHash> chain = TestTokens.chain(0, 3);
            TestBlocks.cache(m, chain);

            StepVerifier.create(m.match(chain), 0)
                    .expectSubscription()
                    .then(() -> {
                        // one atomic lookup at subscription, whatever the demand
                        assertThat(m.inactiveBlocks()).isZero();
                        assertThat(m.stats().inflightImmutable()).isEqualTo(3);
                    })
                    .thenRequest(1)
                    .assertNext(b -> {
                        assertThat(b.sequenceHash()).isEqualTo(chain.get(0));
                        b.close();
                    })
                    .then(() -> assertThat(m.stats().inflightImmutable()).isEqualTo(2))
                    .thenRequest(1)
                    .assertNext(b -> {
                        assertThat(b.sequenceHash()).isEqualTo(chain.get(1));
                        b.close();
                    })
                    .thenRequest(1)
                    .assertNext(b -> {
                        assertThat(b.sequenceHash()).isEqualTo(chain.get(2));
                        b.close();
                    })
                    .verifyComplete();
            assertThat(m.inactiveBlocks()).isEqualTo(3);
        }

        @Test
        void match_cancelledAfterPartialDelivery_closesTheUndeliveredHandles() {
            BlockManager m = TestManagers.create(4);
            List<SequenceHash> chain = TestTokens.chain(0, 4);
            TestBlocks.cache(m, chain);

            StepVerifier.create(m.match(chain), 0)
                    .thenRequest(1)
                    .consumeNextWith(ImmutableBlock::close)
                    .thenCancel()
                    .verify(TIMEOUT);

            assertThat(m.stats().inflightImmutable()).isZero();
            assertThat(m.inactiveBlocks()).isEqualTo(4);
            assertThat(m.stats().matchBlocksReturned()).isEqualTo(4);
        }

        @Test
        void match_cancelledBeforeAnyRequest_closesEveryHandle() {
            BlockManager m = TestManagers.create(2);
            List<SequenceHash> chain = TestTokens.chain(0, 2);
            List<ImmutableBlock> held = TestBlocks.register(m, chain);

            StepVerifier.create(m.match(chain), 0).thenCancel().verify(TIMEOUT);

            assertThat(held.get(0).useCount())
                    .as("the cancelled match's handles were closed")
                    .isEqualTo(1);
            assertThat(m.stats().inflightImmutable()).isEqualTo(2);
            closeAll(held);
        }

        @Test
        void match_takeFirst_closesTheRest() {
            BlockManager m = TestManagers.create(3);
            List<SequenceHash> chain = TestTokens.chain(0, 3);
            TestBlocks.cache(m, chain);

            StepVerifier.create(m.match(chain).take(1))
                    .consumeNextWith(ImmutableBlock::close)
                    .verifyComplete();

            assertThat(m.stats().inflightImmutable()).isZero();
            assertThat(m.inactiveBlocks()).isEqualTo(3);
        }

        @Test
        void match_emptyInput_completesAtOnceWithoutDemand() {
            BlockManager m = TestManagers.create(1);

            StepVerifier.create(m.match(List.of()), 0).expectSubscription().verifyComplete();

            assertThat(m.stats().matchBlocksReturned()).isZero();
        }

        @Test
        void match_firstHashMisses_completesEmptyWithoutDemand() {
            BlockManager m = TestManagers.create(2);
            List<SequenceHash> chain = TestTokens.chain(0, 2);
            TestBlocks.cache(m, chain.subList(1, 2));

            StepVerifier.create(m.match(chain), 0).expectSubscription().verifyComplete();

            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @Test
        void match_missInTheMiddle_stopsThereEvenIfLaterHashesAreCached() {
            BlockManager m = TestManagers.create(3);
            List<SequenceHash> chain = TestTokens.chain(0, 3);
            TestBlocks.cache(m, List.of(chain.get(0), chain.get(2)));

            StepVerifier.create(m.match(chain))
                    .assertNext(b -> {
                        assertThat(b.sequenceHash()).isEqualTo(chain.get(0));
                        b.close();
                    })
                    .verifyComplete();

            assertThat(m.stats().matchHashesRequested()).isEqualTo(3);
            assertThat(m.stats().matchBlocksReturned()).isEqualTo(1);
            assertThat(m.inactiveBlocks())
                    .as("the cached third hash was not touched")
                    .isEqualTo(2);
        }

        @Test
        void match_resubscribed_performsAFreshLookup() {
            BlockManager m = TestManagers.create(3);
            List<SequenceHash> chain = TestTokens.chain(0, 3);
            TestBlocks.cache(m, chain.subList(0, 1));
            Flux<ImmutableBlock> match = m.match(chain);

            StepVerifier.create(match).consumeNextWith(ImmutableBlock::close).verifyComplete();
            TestBlocks.cache(m, chain.subList(1, 2));
            StepVerifier.create(match.doOnNext(ImmutableBlock::close))
                    .expectNextCount(2)
                    .verifyComplete();
            assertThat(m.stats().matchHashesRequested()).isEqualTo(6);
        }

        @Test
        void match_activeBlock_sharesItWithoutChangingAvailability() {
            BlockManager m = TestManagers.create(2);
            List<SequenceHash> chain = TestTokens.chain(0, 1);
            ImmutableBlock held = TestBlocks.register(m, chain).get(0);

            StepVerifier.create(m.match(chain))
                    .assertNext(b -> {
                        assertThat(b.blockId()).isEqualTo(held.blockId());
                        assertThat(b.useCount()).isEqualTo(2);
                        assertThat(m.stats().inflightImmutable()).isEqualTo(2);
                        assertThat(m.availableBlocks()).isEqualTo(1);
                        b.close();
                    })
                    .verifyComplete();

            assertThat(m.inactiveBlocks())
                    .as("the original handle keeps it active")
                    .isZero();
            held.close();
        }

        @Test
        void match_touchesTheFrequencyTrackerOncePerHit() {
            CountingTracker tracker = new CountingTracker();
            BlockRegistry registry =
                    BlockRegistry.builder().frequencyTracker(tracker).build();
            BlockManager m = TestManagers.create(3, registry, StorageTier.G1);
            List<SequenceHash> chain = TestTokens.chain(0, 3);
            TestBlocks.cache(m, chain.subList(0, 2));
            assertThat(tracker.total()).as("one touch per new registration").isEqualTo(2);

            StepVerifier.create(m.match(chain).doOnNext(ImmutableBlock::close))
                    .expectNextCount(2)
                    .verifyComplete();

            assertThat(tracker.count(chain.get(0))).isEqualTo(2);
            assertThat(tracker.count(chain.get(1))).isEqualTo(2);
            assertThat(tracker.count(chain.get(2))).isZero();
        }
    }

    @Nested
    class Scan {

        @Test
        void scan_notSubscribed_looksUpNothing() {
            BlockManager m = TestManagers.create(2);
            List<SequenceHash> hashes = TestTokens.roots(51, 2);
            TestBlocks.cache(m, hashes);

            m.scan(hashes);

            assertThat(m.inactiveBlocks()).isEqualTo(2);
        }

        @Test
        void scan_missInTheMiddle_findsEveryHitInInputOrder() {
            BlockManager m = TestManagers.create(3);
            List<SequenceHash> h = TestTokens.roots(52, 3);
            TestBlocks.cache(m, List.of(h.get(2), h.get(0)));

            StepVerifier.create(m.scan(h))
                    .assertNext(hits -> {
                        assertThat(hits.keySet()).containsExactly(h.get(0), h.get(2));
                        assertThat(m.inactiveBlocks()).isZero();
                        closeAll(hits.values());
                    })
                    .verifyComplete();
            assertThat(m.inactiveBlocks()).isEqualTo(2);
        }

        @Test
        void scan_repeatedHashes_looksEachUpOnce() {
            BlockManager m = TestManagers.create(2);
            List<SequenceHash> h = TestTokens.roots(53, 2);
            TestBlocks.cache(m, h);

            StepVerifier.create(m.scan(List.of(h.get(1), h.get(0), h.get(1), h.get(1))))
                    .assertNext(hits -> {
                        assertThat(hits.keySet()).containsExactly(h.get(1), h.get(0));
                        assertThat(m.stats().inflightImmutable()).isEqualTo(2);
                        closeAll(hits.values());
                    })
                    .verifyComplete();
            assertThat(m.stats().scanHashesRequested()).isEqualTo(4);
            assertThat(m.stats().scanBlocksReturned()).isEqualTo(2);
        }

        @Test
        void scan_noHit_emitsAnEmptyMap() {
            BlockManager m = TestManagers.create(1);

            StepVerifier.create(m.scan(TestTokens.roots(54, 3)))
                    .expectNext(Map.of())
                    .verifyComplete();
        }

        @Test
        void scan_touchFlag_decidesWhetherHitsTouchTheTracker() {
            CountingTracker tracker = new CountingTracker();
            BlockManager m = TestManagers.create(
                    2, BlockRegistry.builder().frequencyTracker(tracker).build(), StorageTier.G1);
            List<SequenceHash> h = TestTokens.roots(55, 2);
            TestBlocks.cache(m, h);

            StepVerifier.create(m.scan(h, false))
                    .consumeNextWith(hits -> closeAll(hits.values()))
                    .verifyComplete();
            assertThat(tracker.total()).as("registration touches only").isEqualTo(2);

            StepVerifier.create(m.scan(List.of(h.get(0), h.get(0)), true))
                    .consumeNextWith(hits -> closeAll(hits.values()))
                    .verifyComplete();
            assertThat(tracker.count(h.get(0)))
                    .as("once per hit, not per repeat")
                    .isEqualTo(2);
            assertThat(tracker.count(h.get(1))).isEqualTo(1);

            StepVerifier.create(m.scan(h))
                    .as("scan(hashes) touches")
                    .consumeNextWith(hits -> closeAll(hits.values()))
                    .verifyComplete();
            assertThat(tracker.total()).isEqualTo(5);
        }

        @Test
        void scan_cancelledBeforeRequest_looksUpNothing() {
            BlockManager m = TestManagers.create(1);
            TestBlocks.cache(m, TestTokens.roots(56, 1));

            StepVerifier.create(m.scan(TestTokens.roots(56, 1)), 0).thenCancel().verify(TIMEOUT);

            assertThat(m.inactiveBlocks()).isEqualTo(1);
            assertThat(m.stats().scanHashesRequested()).isZero();
        }

        @Test
        void scan_resubscribed_performsAFreshLookup() {
            BlockManager m = TestManagers.create(2);
            List<SequenceHash> h = TestTokens.roots(57, 2);
            TestBlocks.cache(m, h.subList(0, 1));
            Mono<Map<SequenceHash, ImmutableBlock>> scan = m.scan(h);

            StepVerifier.create(scan)
                    .assertNext(hits -> {
                        assertThat(hits).hasSize(1);
                        closeAll(hits.values());
                    })
                    .verifyComplete();
            TestBlocks.cache(m, h.subList(1, 2));
            StepVerifier.create(scan)
                    .assertNext(hits -> {
                        assertThat(hits).hasSize(2);
                        closeAll(hits.values());
                    })
                    .verifyComplete();
        }
    }

    @Nested
    class Upgrade {

        /** Registers a fresh root hash, releases it to the inactive pool and returns a weak reference to it. */
        private WeakBlock cachedWeakBlock(BlockManager m, long seed) {
            ImmutableBlock held =
                    TestBlocks.register(m, TestTokens.roots(seed, 1).get(0));
            WeakBlock weak = held.downgrade();
            held.close();
            return weak;
        }

        @Test
        void upgrade_whileHeld_returnsAnotherHandleToTheSameBlock() {
            BlockManager m = TestManagers.create(2);
            ImmutableBlock held = TestBlocks.register(m, TestTokens.roots(61, 1).get(0));
            WeakBlock weak = held.downgrade();

            StepVerifier.create(weak.upgrade())
                    .assertNext(b -> {
                        assertThat(b.blockId()).isEqualTo(held.blockId());
                        assertThat(held.useCount()).isEqualTo(2);
                        b.close();
                    })
                    .verifyComplete();
            held.close();
        }

        @Test
        void upgrade_afterLastRelease_resurrectsTheCachedBlock() {
            BlockManager m = TestManagers.create(2);
            WeakBlock weak = cachedWeakBlock(m, 62);
            assertThat(m.inactiveBlocks()).isEqualTo(1);

            Mono<ImmutableBlock> upgrade = weak.upgrade();
            assertThat(m.inactiveBlocks()).as("lazy").isEqualTo(1);

            StepVerifier.create(upgrade)
                    .assertNext(b -> {
                        assertThat(b.blockId()).isEqualTo(weak.blockId());
                        assertThat(m.inactiveBlocks()).isZero();
                        b.close();
                    })
                    .verifyComplete();
            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @Test
        void upgrade_afterEviction_completesEmpty() {
            BlockManager m = TestManagers.create(2);
            WeakBlock weak = cachedWeakBlock(m, 63);
            List<MutableBlock> all = allocate(m, 2); // evicts the cached block

            StepVerifier.create(weak.upgrade()).verifyComplete();

            closeAll(all);
        }

        @Test
        void upgrade_afterResetInactive_completesEmpty() {
            BlockManager m = TestManagers.create(2);
            WeakBlock weak = cachedWeakBlock(m, 64);
            StepVerifier.create(m.resetInactive()).expectNext(1).verifyComplete();

            StepVerifier.create(weak.upgrade()).verifyComplete();
        }

        @Test
        void upgrade_doesNotTouchTheFrequencyTracker() {
            CountingTracker tracker = new CountingTracker();
            BlockManager m = TestManagers.create(
                    1, BlockRegistry.builder().frequencyTracker(tracker).build(), StorageTier.G1);
            WeakBlock weak = cachedWeakBlock(m, 65);

            StepVerifier.create(weak.upgrade())
                    .consumeNextWith(ImmutableBlock::close)
                    .verifyComplete();

            assertThat(tracker.total()).isEqualTo(1); // the registration
        }

        @Test
        void upgrade_cancelledBeforeRequest_resurrectsNothing() {
            BlockManager m = TestManagers.create(1);
            WeakBlock weak = cachedWeakBlock(m, 66);

            StepVerifier.create(weak.upgrade(), 0).thenCancel().verify(TIMEOUT);

            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }
    }

    @Nested
    class ResetInactive {

        @Test
        void resetInactive_dropsOnlyCachedBlocksAndEmitsTheirNumber() {
            BlockManager m = TestManagers.create(4);
            List<SequenceHash> h = TestTokens.roots(71, 3);
            List<ImmutableBlock> handles = TestBlocks.register(m, h);
            handles.get(1).close();
            handles.get(2).close();

            StepVerifier.create(m.resetInactive()).expectNext(2).verifyComplete();

            assertThat(m.inactiveBlocks()).isZero();
            assertThat(m.resetBlocks()).isEqualTo(3);
            assertThat(m.registry().isPresent(h.get(1), m.tier())).isFalse();
            assertThat(m.registry().isPresent(h.get(0), m.tier()))
                    .as("held blocks are unaffected")
                    .isTrue();
            StepVerifier.create(m.match(h.subList(1, 3))).verifyComplete();
            handles.get(0).close();
        }

        @Test
        void resetInactive_notSubscribed_dropsNothing() {
            BlockManager m = TestManagers.create(1);
            TestBlocks.cache(m, TestTokens.roots(72, 1));

            m.resetInactive();

            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @Test
        void resetInactive_emptyPool_emitsZero() {
            BlockManager m = TestManagers.create(1);

            StepVerifier.create(m.resetInactive()).expectNext(0).verifyComplete();
        }
    }

    /** Counts every touch exactly (a sketch would only estimate). */
    static final class CountingTracker implements FrequencyTracker {
        private final Map<SequenceHash, AtomicInteger> counts = new ConcurrentHashMap<>();

        @Override
        public void touch(SequenceHash hash) {
            counts.computeIfAbsent(hash, k -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public int count(SequenceHash hash) {
            AtomicInteger c = counts.get(hash);
            return c == null ? 0 : c.get();
        }

        int total() {
            return counts.values().stream().mapToInt(AtomicInteger::get).sum();
        }
    }
}
