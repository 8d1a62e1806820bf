package io.kvbm.registry;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.DuplicationPolicy;
import io.kvbm.testing.CountingFrequencyTracker;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

class BlockRegistryTest {

    private final BlockRegistry registry = BlockRegistry.create();
    private final SequenceHash h = TestTokens.chain(0, 1).get(0);
    private final SequenceHash other = TestTokens.chain(100, 1).get(0);

    /** A value type whose identity matters to the attachment tests. */
    record Location(String where) {}

    @Nested
    class Handles {

        @Test
        void close_lastHandle_unregistersTheHash() {
            // kvbm-core §8 invariant 30
            RegistrationHandle handle = registry.register(h);
            assertThat(registry.isRegistered(h)).isTrue();
            assertThat(registry.registeredCount()).isEqualTo(1);
            assertThat(handle.sequenceHash()).isEqualTo(h);
            assertThat(handle.isFromRegistry(registry)).isTrue();
            assertThat(handle.isFromRegistry(BlockRegistry.create())).isFalse();

            handle.close();

            assertThat(handle.isClosed()).isTrue();
            assertThat(registry.isRegistered(h)).isFalse();
            assertThat(registry.registeredCount()).isZero();
            assertThat(registry.lookup(h, false)).isEmpty();
        }

        @Test
        void retain_keepsRegisteredUntilLastCloneCloses() {
            // kvbm-core §8 invariant 30
            RegistrationHandle first = registry.register(h);
            RegistrationHandle clone = first.retain();
            RegistrationHandle joined = registry.register(h);

            first.close();
            first.close(); // idempotent: must not drop a second reference
            assertThat(registry.isRegistered(h)).isTrue();
            clone.close();
            assertThat(registry.isRegistered(h)).isTrue();
            assertThat(registry.registeredCount()).isEqualTo(1);
            joined.close();

            assertThat(registry.isRegistered(h)).isFalse();
            assertThat(registry.registeredCount()).isZero();
        }

        @Test
        void lookup_liveRegistration_returnsAnotherHandleToIt() {
            RegistrationHandle handle = registry.register(h);
            handle.attachUnique(Location.class, new Location("host"));

            RegistrationHandle found = registry.lookup(h, false).orElseThrow();
            handle.close();

            assertThat(registry.isRegistered(h))
                    .as("the looked-up handle keeps it")
                    .isTrue();
            assertThat(found.unique(Location.class)).contains(new Location("host"));
            assertThat(registry.lookup(other, false)).isEmpty();
            found.close();
            assertThat(registry.isRegistered(h)).isFalse();
        }

        @Test
        void register_afterLastClose_startsAFreshRegistration() {
            RegistrationHandle first = registry.register(h);
            first.attachUnique(Location.class, new Location("disk"));
            first.close();

            RegistrationHandle second = registry.register(h);

            assertThat(second.unique(Location.class))
                    .as("attachments die with the registration")
                    .isEmpty();
            assertThat(registry.registeredCount()).isEqualTo(1);
            second.close();
        }

        @Test
        void operations_onClosedHandle_throw() {
            RegistrationHandle handle = registry.register(h);
            handle.close();

            assertThatThrownBy(handle::retain)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(() -> handle.attachUnique(Location.class, new Location("x")))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> handle.attach(Location.class, new Location("x")))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> handle.updateUnique(Location.class, l -> l))
                    .isInstanceOf(IllegalStateException.class);
        }

        @Test
        void newRegistration_touchesTrackerOnce_lookupOnlyWhenAsked() {
            CountingFrequencyTracker tracker = new CountingFrequencyTracker();
            BlockRegistry tracked =
                    BlockRegistry.builder().frequencyTracker(tracker).build();

            RegistrationHandle first = tracked.register(h, StorageTier.G1);
            RegistrationHandle joined = tracked.register(h);
            assertThat(tracker.count(h)).isEqualTo(1);
            tracked.lookup(h, false).orElseThrow().close();
            assertThat(tracker.count(h)).isEqualTo(1);
            tracked.lookup(h, true).orElseThrow().close();
            assertThat(tracked.count(h)).isEqualTo(2);
            tracked.touch(h);
            assertThat(tracked.count(h)).isEqualTo(3);
            tracked.isPresent(h, StorageTier.G1);
            tracked.checkPresence(List.of(h), StorageTier.G1);
            assertThat(tracker.total()).as("presence checks never touch").isEqualTo(3);
            first.close();
            joined.close();

            tracked.register(h).close();
            assertThat(tracker.count(h))
                    .as("a new registration after the last close")
                    .isEqualTo(4);
            assertThat(tracked.hasFrequencyTracking()).isTrue();
            assertThat(tracked.frequencyTracker()).isSameAs(tracker);
            assertThat(registry.hasFrequencyTracking()).isFalse();
            assertThat(registry.frequencyTracker()).isSameAs(FrequencyTracker.noop());
            assertThat(registry.count(h)).isZero();
        }
    }

    @Nested
    class Attachments {

        private final RegistrationHandle handle = registry.register(h);

        @Test
        void attach_onUniqueType_failsWithReasonAndType() {
            // kvbm-core §8 invariant 31
            handle.attachUnique(Location.class, new Location("gpu"));

            assertThatThrownBy(() -> handle.attach(Location.class, new Location("host")))
                    .isInstanceOfSatisfying(AttachmentException.class, e -> {
                        assertThat(e.reason()).isEqualTo(AttachmentException.Reason.TYPE_ALREADY_REGISTERED_AS_UNIQUE);
                        assertThat(e.type()).isEqualTo(Location.class);
                        assertThat(e).hasMessageContaining(Location.class.getName());
                    });
            assertThat(handle.unique(Location.class)).contains(new Location("gpu"));
            handle.close();
        }

        @Test
        void attachUnique_onMultipleType_failsWithReasonAndType() {
            // kvbm-core §8 invariant 31
            handle.attach(Location.class, new Location("gpu"));

            assertThatThrownBy(() -> handle.attachUnique(Location.class, new Location("host")))
                    .isInstanceOfSatisfying(AttachmentException.class, e -> {
                        assertThat(e.reason())
                                .isEqualTo(AttachmentException.Reason.TYPE_ALREADY_REGISTERED_AS_MULTIPLE);
                        assertThat(e.type()).isEqualTo(Location.class);
                    });
            assertThat(handle.multiple(Location.class)).containsExactly(new Location("gpu"));
            handle.close();
        }

        @Test
        void attachUnique_twice_replaces_attach_accumulatesInOrder() {
            // kvbm-core §8 invariant 31
            handle.attachUnique(Location.class, new Location("a"));
            handle.attachUnique(Location.class, new Location("b"));
            handle.attach(Integer.class, 1);
            handle.attach(Integer.class, 2);
            handle.attach(Integer.class, 3);

            assertThat(handle.unique(Location.class)).contains(new Location("b"));
            assertThat(handle.multiple(Integer.class)).containsExactly(1, 2, 3);
            assertThat(handle.unique(Integer.class))
                    .as("wrong mode reads nothing")
                    .isEmpty();
            assertThat(handle.multiple(Location.class)).isEmpty();
            assertThat(handle.unique(String.class)).isEmpty();
            assertThat(handle.multiple(String.class)).isEmpty();
            handle.close();
        }

        @Test
        void updates_persist_tenAndTwentyIncrementedSumTo32() {
            // kvbm-core §8 invariant 31
            handle.attach(Integer.class, 10);
            handle.attach(Integer.class, 20);
            handle.attachUnique(Long.class, 41L);

            assertThat(handle.updateMultiple(Integer.class, v -> v + 1)).isEqualTo(2);
            assertThat(handle.updateUnique(Long.class, v -> v + 1)).isTrue();

            RegistrationHandle another = registry.lookup(h, false).orElseThrow();
            assertThat(another.multiple(Integer.class).stream()
                            .mapToInt(Integer::intValue)
                            .sum())
                    .isEqualTo(32);
            assertThat(another.unique(Long.class)).contains(42L);
            assertThat(handle.updateUnique(Integer.class, v -> v))
                    .as("a multiple type")
                    .isFalse();
            assertThat(handle.updateMultiple(Long.class, v -> v))
                    .as("a unique type")
                    .isZero();
            assertThat(handle.updateUnique(String.class, v -> v)).as("absent").isFalse();
            assertThat(handle.updateMultiple(String.class, v -> v)).isZero();
            assertThat(handle.multiple(Integer.class)).containsExactly(11, 21);
            another.close();
            handle.close();
        }

        @Test
        void multiple_returnsSnapshotThatLaterAttachesDoNotChange() {
            handle.attach(Integer.class, 1);
            List<Integer> snapshot = handle.multiple(Integer.class);

            handle.attach(Integer.class, 2);

            assertThat(snapshot).containsExactly(1);
            assertThatThrownBy(() -> snapshot.add(3)).isInstanceOf(UnsupportedOperationException.class);
            handle.close();
        }
    }

    @Nested
    class Presence {

        @Test
        void register_inOneTier_presentOnlyThere() {
            // kvbm-core §8 invariant 32
            RegistrationHandle g1 = registry.register(h, StorageTier.G1);
            RegistrationHandle plain = registry.register(other);

            assertThat(registry.isPresent(h, StorageTier.G1)).isTrue();
            assertThat(registry.isPresent(h, StorageTier.G2)).isFalse();
            assertThat(registry.isPresent(other, StorageTier.G1))
                    .as("no tier, no presence")
                    .isFalse();
            assertThat(registry.checkPresence(List.of(h, other, h), StorageTier.G1))
                    .containsExactly(true, false, true);
            assertThat(registry.checkPresenceAny(List.of(h, other), EnumSet.of(StorageTier.G2, StorageTier.G3)))
                    .containsExactly(false, false);
            assertThat(registry.checkPresenceAny(List.of(h, other), EnumSet.of(StorageTier.G2, StorageTier.G1)))
                    .containsExactly(true, false);
            assertThat(registry.checkPresenceAny(List.of(h), Set.of())).containsExactly(false);
            assertThat(g1.hasBlock(StorageTier.G1)).isTrue();
            assertThat(g1.hasBlock(StorageTier.G4)).isFalse();
            assertThat(plain.hasAnyBlock(EnumSet.allOf(StorageTier.class))).isFalse();
            assertThat(g1.hasAnyBlock(EnumSet.of(StorageTier.G3, StorageTier.G1)))
                    .isTrue();
            g1.close();
            plain.close();
        }

        @Test
        void presence_isCountedPerTier() {
            // kvbm-core §8 invariant 32
            RegistrationHandle one = registry.register(h, StorageTier.G2);
            RegistrationHandle two = registry.register(h, StorageTier.G2);
            RegistrationHandle keeper = registry.register(h);

            one.close();
            assertThat(registry.isPresent(h, StorageTier.G2)).isTrue();
            two.close();
            two.close();
            assertThat(registry.isPresent(h, StorageTier.G2)).isFalse();
            assertThat(keeper.hasBlock(StorageTier.G2)).isFalse();
            assertThat(registry.isRegistered(h))
                    .as("registered without presence")
                    .isTrue();
            RegistrationHandle again = registry.register(h, StorageTier.G2);
            assertThat(registry.isPresent(h, StorageTier.G2)).isTrue();
            again.close();
            keeper.close();
        }

        @Test
        void eviction_thenRegistration_overHundredIterations_presenceFollowsTheBlock() {
            // kvbm-core §8 invariant 26
            BlockManager m = TestManagers.create(1, b -> b.registry(registry));
            List<SequenceHash> hashes = TestTokens.roots(26, 101);
            TestBlocks.cache(m, hashes.subList(0, 1));

            for (int i = 0; i < 100; i++) {
                SequenceHash a = hashes.get(i);
                SequenceHash b = hashes.get(i + 1);
                ImmutableBlock held = TestBlocks.register(m, b); // evicts a

                assertThat(registry.checkPresence(List.of(a, b), StorageTier.G1))
                        .as("iteration %d", i)
                        .containsExactly(false, true);
                assertThat(registry.isRegistered(a)).as("iteration %d", i).isFalse();
                held.close();
                assertThat(registry.isPresent(b, StorageTier.G1))
                        .as("cached is present")
                        .isTrue();
            }
            assertThat(registry.registeredCount()).isEqualTo(1);
        }

        @Test
        void duplicate_released_primaryKeepsPresenceEvenWhenCached() {
            // kvbm-core §8 invariant 27
            BlockManager m = TestManagers.create(4, b -> b.registry(registry));
            ImmutableBlock primary = TestBlocks.register(m, h);
            ImmutableBlock duplicate = TestBlocks.register(m, h);

            duplicate.close();
            assertThat(registry.isPresent(h, StorageTier.G1)).isTrue();
            primary.close();
            assertThat(registry.isPresent(h, StorageTier.G1)).isTrue();
            assertThat(m.resetInactive().block(TIMEOUT)).isEqualTo(1);
            assertThat(registry.isPresent(h, StorageTier.G1)).isFalse();
        }
    }

    @Nested
    class Concurrency {

        @Test
        void registerAndClose_raceOnOneHash_countsSettleToZero() {
            List<SequenceHash> hashes = TestTokens.roots(7, 3);
            RegistrationHandle keeper = registry.register(hashes.get(2), StorageTier.G3);

            List<Integer> done = Flux.range(0, 8)
                    .parallel(8)
                    .runOn(Schedulers.parallel(), 1)
                    .map(rail -> {
                        StorageTier tier = StorageTier.values()[rail % 2];
                        for (int i = 0; i < 10_000; i++) {
                            // Mostly one hot hash: the dead-entry replacement path needs releases and
                            // registrations of the same hash to overlap.
                            SequenceHash hash = hashes.get(i % 8 == 0 ? 1 : 0);
                            RegistrationHandle handle = registry.register(hash, tier);
                            // Held with a presence mark: no racing release may unregister it or clear the mark.
                            if (!registry.isPresent(hash, tier) || !registry.isRegistered(hash)) {
                                throw new AssertionError(hash + " lost its registration while held");
                            }
                            registry.lookup(hash, rail % 3 == 0).ifPresent(RegistrationHandle::close);
                            RegistrationHandle clone = handle.retain();
                            handle.close();
                            clone.close();
                        }
                        return rail;
                    })
                    .sequential()
                    .collectList()
                    .block(TIMEOUT);

            assertThat(done).hasSize(8);
            assertThat(registry.isRegistered(hashes.get(0))).isFalse();
            assertThat(registry.isRegistered(hashes.get(1))).isFalse();
            assertThat(registry.registeredCount())
                    .as("only the keeper's registration")
                    .isEqualTo(1);
            assertThat(registry.checkPresence(hashes, StorageTier.G1)).containsOnly(false);
            assertThat(registry.checkPresence(hashes, StorageTier.G3)).containsExactly(false, false, true);
            keeper.close();
            assertThat(registry.registeredCount()).isZero();
        }
    }

    static List<DuplicationPolicy[]> tierPolicies() {
        return List.of(
                new DuplicationPolicy[] {DuplicationPolicy.ALLOW, DuplicationPolicy.REJECT},
                new DuplicationPolicy[] {DuplicationPolicy.REJECT, DuplicationPolicy.ALLOW});
    }

    @ParameterizedTest(name = "G1 {0}, G2 {1}")
    @MethodSource("tierPolicies")
    void twoManagersOfDifferentTiers_shareOneRegistry(DuplicationPolicy g1Policy, DuplicationPolicy g2Policy) {
        // kvbm-core §8 invariant 24
        BlockManager g1 = TestManagers.create(
                4,
                b -> b.registry(registry)
                        .tier(StorageTier.G1)
                        .duplicationPolicy(g1Policy)
                        .eviction(EvictionPolicy.lru()));
        BlockManager g2 = TestManagers.create(
                4,
                b -> b.registry(registry)
                        .tier(StorageTier.G2)
                        .duplicationPolicy(g2Policy)
                        .eviction(EvictionPolicy.fifo()));

        ImmutableBlock inG1 = TestBlocks.register(g1, h);
        assertThat(registry.isRegistered(h)).isTrue();
        assertThat(registry.checkPresenceAny(List.of(h), EnumSet.of(StorageTier.G1, StorageTier.G2)))
                .containsExactly(true);
        assertThat(registry.isPresent(h, StorageTier.G2)).isFalse();

        ImmutableBlock inG2 = TestBlocks.register(g2, h);
        assertThat(g2.stats().registrationDedup() + g2.stats().duplicateBlocks())
                .as("tiers never deduplicate against each other")
                .isZero();
        assertThat(registry.isPresent(h, StorageTier.G2)).isTrue();
        assertThat(registry.registeredCount()).isEqualTo(1);

        inG1.close();
        inG2.close();
        assertThat(g1.resetInactive().block(TIMEOUT)).isEqualTo(1);
        assertThat(registry.isPresent(h, StorageTier.G1)).isFalse();
        assertThat(registry.isPresent(h, StorageTier.G2)).isTrue();
        assertThat(g2.resetInactive().block(TIMEOUT)).isEqualTo(1);
        assertThat(registry.isRegistered(h)).isFalse();
    }
}
