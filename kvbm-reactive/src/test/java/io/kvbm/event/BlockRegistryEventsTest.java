package io.kvbm.event;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.manager.BlockManager;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.registry.RegistrationHandle;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import org.junit.jupiter.api.Test;
import reactor.test.subscriber.TestSubscriber;

/** The registry's presence events: kvbm's registry-level Create/Remove across every tier sharing the registry. */
class BlockRegistryEventsTest {

    private static SequenceHash at(int position) {
        return SequenceHash.of(position, 0x5000L + position, 0x9L);
    }

    @Test
    void presentThenAbsent_storedThenRemoved() {
        // kvbm-seq-events §6 invariants 2 and 5: registering then dropping emits Create then Remove for the hash
        BlockRegistry registry = BlockRegistry.create();
        TestSubscriber<CacheEvent> events = TestSubscriber.create();
        registry.events().subscribe(events);
        SequenceHash h = at(3);
        RegistrationHandle handle = registry.register(h, StorageTier.G1);
        handle.close();

        assertThat(events.getReceivedOnNext()).containsExactly(CacheEvent.stored(h), CacheEvent.removed(h));
        events.cancel();
    }

    @Test
    void twoSubscribers_bothReceiveEveryEvent() {
        // kvbm-seq-events §6 invariant 6
        BlockRegistry registry = BlockRegistry.create();
        TestSubscriber<CacheEvent> a = TestSubscriber.create();
        TestSubscriber<CacheEvent> b = TestSubscriber.create();
        registry.events().subscribe(a);
        registry.events().subscribe(b);
        registry.register(at(1), StorageTier.G2).close();

        assertThat(a.getReceivedOnNext()).hasSize(2).isEqualTo(b.getReceivedOnNext());
        a.cancel();
        b.cancel();
    }

    @Test
    void powerOfTwoPolicy_position16Emits_position17DoesNot() {
        // kvbm-seq-events §6 invariant 4 (and 7: the default policy emits position 17)
        BlockRegistry filtered = BlockRegistry.builder()
                .emissionPolicy(EmissionPolicy.powerOfTwo())
                .build();
        TestSubscriber<CacheEvent> events = TestSubscriber.create();
        filtered.events().subscribe(events);
        RegistrationHandle p16 = filtered.register(at(16), StorageTier.G1);
        RegistrationHandle p17 = filtered.register(at(17), StorageTier.G1);
        assertThat(events.getReceivedOnNext()).containsExactly(CacheEvent.stored(at(16)));
        p16.close();
        p17.close();

        BlockRegistry all = BlockRegistry.create();
        TestSubscriber<CacheEvent> unfiltered = TestSubscriber.create();
        all.events().subscribe(unfiltered);
        all.register(at(17), StorageTier.G1).close();
        assertThat(unfiltered.getReceivedOnNext()).hasSize(2);
        events.cancel();
        unfiltered.cancel();
    }

    @Test
    void twoTiers_onlyFirstPresentAndLastAbsentAreEvents() {
        BlockRegistry registry = BlockRegistry.create();
        BlockManager g1 = TestManagers.create(2, registry, StorageTier.G1);
        BlockManager g2 = TestManagers.create(2, registry, StorageTier.G2);
        TestSubscriber<CacheEvent> events = TestSubscriber.create();
        registry.events().subscribe(events);
        SequenceHash h = TestTokens.chain(0, 1).get(0);

        ImmutableBlock inG1 = TestBlocks.register(g1, h);
        ImmutableBlock inG2 = TestBlocks.register(g2, h); // second tier: no event
        inG1.evictOnRelease(true);
        inG1.close(); // G1 lets go, G2 still holds it: no event
        assertThat(events.getReceivedOnNext()).containsExactly(CacheEvent.stored(h));
        inG2.evictOnRelease(true);
        inG2.close();

        assertThat(events.getReceivedOnNext()).containsExactly(CacheEvent.stored(h), CacheEvent.removed(h));
        events.cancel();
    }

    @Test
    void lateSubscriber_afterAQuietPeriod_seesTransitionsCorrectly() {
        BlockRegistry registry = BlockRegistry.create();
        SequenceHash h = at(2);
        RegistrationHandle first = registry.register(h, StorageTier.G1); // STORED published to nobody
        RegistrationHandle keep = first.retain();
        first.close(); // presence gone: REMOVED published to nobody
        TestSubscriber<CacheEvent> events = TestSubscriber.create();
        registry.events().subscribe(events);
        RegistrationHandle again = registry.register(h, StorageTier.G3);

        assertThat(events.getReceivedOnNext()).containsExactly(CacheEvent.stored(h));
        again.close();
        keep.close();
        events.cancel();
    }

    @Test
    void slowSubscriber_overflows_aloneAndCounted() {
        BlockRegistry registry = BlockRegistry.builder().eventBufferSize(2).build();
        TestSubscriber<CacheEvent> slow =
                TestSubscriber.builder().initialRequest(0).build();
        registry.events().subscribe(slow);
        for (int i = 0; i < 3; i++) {
            registry.register(at(i), StorageTier.G1).close();
        }
        assertThat(slow.expectTerminalError()).isInstanceOf(EventStreamOverflowException.class);
        assertThat(registry.droppedEventSubscribers()).isEqualTo(1);
    }
}
