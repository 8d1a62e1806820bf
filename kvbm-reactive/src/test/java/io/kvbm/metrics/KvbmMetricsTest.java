package io.kvbm.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.manager.AllocationTimeoutException;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.ManagerClosedException;
import io.kvbm.manager.MetricsRecorder;
import io.kvbm.testing.Gc;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.StepVerifier;
import reactor.test.subscriber.TestSubscriber;

/** Binding a manager to a registry: tags, identity, unbinding, and the meters kvbm-reactive adds to Dynamo's. */
class KvbmMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private BlockManager bound(int blocks, StorageTier tier) {
        return TestManagers.create(blocks, b -> b.tier(tier).metrics(KvbmMetrics.binder(registry, Tags.empty())));
    }

    @Nested
    class Binding {

        @Test
        void binder_registersEveryMeterOnceTaggedPoolThenCommonTags() {
            TestManagers.create(
                    4, b -> b.metrics(KvbmMetrics.binder(registry, Tags.of("worker_id", "7", "instance_id", "a"))));

            for (KvbmMeters meter : KvbmMeters.values()) {
                Collection<Meter> found = registry.find(meter.getName()).meters();
                assertThat(found).as(meter.getName()).hasSize(meter == KvbmMeters.ALLOCATION_WAIT ? 4 : 1);
                for (Meter m : found) {
                    assertThat(m.getId().getTags())
                            .contains(Tag.of("pool", "G1"), Tag.of("worker_id", "7"), Tag.of("instance_id", "a"));
                    assertThat(m.getId().getType()).isEqualTo(meter.getType());
                    assertThat(m.getId().getDescription()).isEqualTo(meter.description());
                    if (meter != KvbmMeters.ALLOCATION_WAIT) {
                        assertThat(m.getId().getBaseUnit())
                                .as("a base unit would change the Prometheus name")
                                .isNull();
                    }
                }
            }
            assertThat(registry.getMeters()).hasSize(KvbmMeters.values().length + 3);
        }

        @Test
        void twoTiersOneRegistry_twoSeriesPerMeter() {
            // kvbm-core §8 invariant 45: two sources merged by name, one series each
            BlockManager g1 = bound(4, StorageTier.G1);
            BlockManager g2 = bound(6, StorageTier.G2);
            List<MutableBlock> held = TestBlocks.allocate(g2, 2);

            assertThat(registry.find("kvbm.reset.pool.size").gauges()).hasSize(2);
            assertThat(new MeterValues(registry, "G1").get(KvbmMeters.RESET_POOL_SIZE))
                    .isEqualTo(4);
            assertThat(new MeterValues(registry, "G2").get(KvbmMeters.RESET_POOL_SIZE))
                    .isEqualTo(4);
            assertThat(new MeterValues(registry, "G2").get(KvbmMeters.ALLOCATIONS))
                    .isEqualTo(2);
            assertThat(g1.tier()).isEqualTo(StorageTier.G1);
            TestBlocks.closeAll(held);
        }

        @Test
        void secondManagerWithTheSameTags_rejected_insteadOfReportingTheFirstOnesValues() {
            bound(4, StorageTier.G1);

            assertThatThrownBy(() -> bound(4, StorageTier.G1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already registered")
                    .hasMessageContaining("distinguishing tag");
            BlockManager other =
                    TestManagers.create(4, b -> b.metrics(KvbmMetrics.binder(registry, Tags.of("worker_id", "2"))));
            assertThat(other).as("a distinguishing tag is enough").isNotNull();
        }

        @Test
        void reservedTagKeys_rejectedNamingTheTag() {
            assertThatThrownBy(() -> KvbmMetrics.binder(registry, Tags.of("pool", "x")))
                    .hasMessage("tags must not contain 'pool': KvbmMetrics sets it itself, got pool=x");
            assertThatThrownBy(() -> KvbmMetrics.binder(registry, Tags.of("outcome", "x")))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void bind_builtManager_everyMeterButTheTimer_closeRemovesThem() {
            BlockManager m = TestManagers.create(4);
            List<MutableBlock> held = TestBlocks.allocate(m, 1);

            KvbmMetrics metrics = KvbmMetrics.bind(m, registry, Tags.of("worker_id", "1"));

            assertThat(registry.find(KvbmMeters.ALLOCATION_WAIT.getName()).meters())
                    .isEmpty();
            assertThat(metrics.meters()).hasSize(KvbmMeters.values().length - 1);
            assertThat(new MeterValues(registry, "G1").get(KvbmMeters.ALLOCATIONS))
                    .as("bound late, the counters show their whole history")
                    .isOne();
            metrics.close();
            metrics.close();
            assertThat(registry.getMeters()).isEmpty();
            KvbmMetrics.bind(m, registry, Tags.empty()).close(); // unbound: the same tags are free again
            TestBlocks.closeAll(held);
        }

        @Test
        void binderReturningNull_buildFailsNamingIt() {
            assertThatThrownBy(() -> TestManagers.create(4, b -> b.metrics(manager -> null)))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessage("the metrics binder returned null");
        }
    }

    @Nested
    class AllocationWait {

        private final MeterValues meters = new MeterValues(registry, "G1");

        @Test
        void immediateAllocations_neverRecorded() {
            BlockManager m = bound(4, StorageTier.G1);

            TestBlocks.closeAll(TestBlocks.allocate(m, 4));
            TestBlocks.closeAll(m.allocate(2).block(TestBlocks.TIMEOUT));
            TestBlocks.closeAll(m.allocate(1, Duration.ofSeconds(5)).block(TestBlocks.TIMEOUT));

            assertThat(meters.waitsRecorded()).isZero();
        }

        @Test
        void waitingAllocation_servedByARelease_recordedOnceAsAcquired() {
            BlockManager m = bound(1, StorageTier.G1);
            MutableBlock held = TestBlocks.allocate(m, 1).get(0);
            TestSubscriber<MutableBlock> waiter = TestSubscriber.create();
            m.allocate().subscribe(waiter);
            assertThat(meters.get(KvbmMeters.PENDING_ALLOCATIONS)).isOne();

            held.close();

            assertThat(waiter.getReceivedOnNext()).hasSize(1);
            assertThat(meters.get(KvbmMeters.PENDING_ALLOCATIONS)).isZero();
            assertThat(meters.waits("acquired").count()).isOne();
            assertThat(meters.waitedNanos("acquired")).isPositive();
            assertThat(meters.waitsRecorded()).isOne();
            waiter.getReceivedOnNext().forEach(MutableBlock::close);
        }

        @Test
        void waitingAllocation_timedOutInsideTheManager_recordedOnceAsTimedOut() {
            BlockManager m = bound(1, StorageTier.G1);
            MutableBlock held = TestBlocks.allocate(m, 1).get(0);

            StepVerifier.withVirtualTime(() -> m.allocate(1, Duration.ofMillis(50)))
                    .expectSubscription()
                    .thenAwait(Duration.ofMillis(50))
                    .expectError(AllocationTimeoutException.class)
                    .verify(TestBlocks.TIMEOUT);

            assertThat(meters.waits("timed_out").count()).isOne();
            assertThat(meters.waitsRecorded()).isOne();
            held.close();
        }

        @Test
        void waitingAllocation_cancelled_recordedOnceAsCancelled() {
            BlockManager m = bound(1, StorageTier.G1);
            MutableBlock held = TestBlocks.allocate(m, 1).get(0);
            Disposable waiter = m.allocate().subscribe(MutableBlock::close);

            waiter.dispose();
            held.close();

            assertThat(meters.waits("cancelled").count()).isOne();
            assertThat(meters.waitsRecorded()).isOne();
        }

        @Test
        void waitingAllocations_managerClosed_eachRecordedOnceAsFailed() {
            BlockManager m = bound(1, StorageTier.G1);
            MutableBlock held = TestBlocks.allocate(m, 1).get(0);
            TestSubscriber<List<MutableBlock>> first = TestSubscriber.create();
            TestSubscriber<List<MutableBlock>> second = TestSubscriber.create();
            m.allocate(1).subscribe(first);
            m.allocate(1).subscribe(second);

            m.close().block(TestBlocks.TIMEOUT);

            assertThat(first.expectTerminalSignal().getThrowable()).isInstanceOf(ManagerClosedException.class);
            assertThat(meters.waits("failed").count()).isEqualTo(2);
            assertThat(meters.waitsRecorded()).isEqualTo(2);
            held.close();
        }

        @Test
        void recorderThatThrows_ignored_allocationStillServed() {
            AtomicInteger calls = new AtomicInteger();
            BlockManager m = TestManagers.create(
                    1,
                    b -> b.metrics(manager -> (MetricsRecorder) (nanos, outcome) -> {
                        calls.incrementAndGet();
                        throw new IllegalStateException("broken metrics");
                    }));
            MutableBlock held = TestBlocks.allocate(m, 1).get(0);
            TestSubscriber<MutableBlock> waiter = TestSubscriber.create();
            m.allocate().subscribe(waiter);

            held.close();

            assertThat(waiter.getReceivedOnNext()).hasSize(1);
            assertThat(calls.get()).isOne();
            waiter.getReceivedOnNext().forEach(MutableBlock::close);
        }
    }

    @Nested
    class AddedCounters {

        @Test
        void eventSubscriberOverflow_countedInEventsDroppedSubscribers() {
            BlockManager m = TestManagers.create(
                    8,
                    b -> b.eventBufferSize(2)
                            .eventBatching(1, Duration.ofMillis(10))
                            .metrics(KvbmMetrics.binder(registry, Tags.empty())));
            TestSubscriber<EventBatch> slow =
                    TestSubscriber.<EventBatch>builder().initialRequest(0).build();
            m.events().subscribe(slow);

            TestBlocks.cache(m, TestTokens.roots(1, 3)); // batches of one event: the third overflows

            assertThat(new MeterValues(registry, "G1").get(KvbmMeters.EVENTS_DROPPED_SUBSCRIBERS))
                    .isOne();
        }

        @Test
        void leakedGuard_countedInLeakedBlocks() {
            BlockManager m = TestManagers.create(2, b -> b.metrics(KvbmMetrics.binder(registry, Tags.empty())));
            leak(m);

            MeterValues meters = new MeterValues(registry, "G1");
            Gc.await(() -> meters.get(KvbmMeters.LEAKED_BLOCKS) == 1 && m.resetBlocks() == 2);

            assertThat(meters.get(KvbmMeters.INFLIGHT_MUTABLE)).isZero();
        }

        /** Allocates a block and drops it unclosed; only the id escapes, so nothing keeps the guard reachable. */
        private int leak(BlockManager m) {
            return TestBlocks.allocate(m, 1).get(0).blockId();
        }

        @Test
        void allocateAtomicRollback_zeroWithTheBuiltInPolicies() {
            BlockManager m = bound(4, StorageTier.G1);
            TestBlocks.cache(m, TestTokens.roots(2, 4));
            TestBlocks.closeAll(TestBlocks.allocate(m, 4));

            assertThat(new MeterValues(registry, "G1").get(KvbmMeters.ALLOCATE_ATOMIC_ROLLBACK))
                    .isZero();
        }
    }
}
