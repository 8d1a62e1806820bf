package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.MutableBlock;
import io.kvbm.testing.TestManagers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** {@link BlockManager#allocate(int, Duration)}: a wait bounded inside the manager, raced against delivery. */
class AllocationTimeoutTest {

    private static final Duration VERIFY = Duration.ofSeconds(10);

    @Test
    void allocateWithMaxWait_blocksFree_servedWithoutTimer() {
        BlockManager m = TestManagers.create(4);
        StepVerifier.create(m.allocate(2, Duration.ofMillis(1)))
                .assertNext(blocks -> {
                    assertThat(blocks).hasSize(2);
                    blocks.forEach(MutableBlock::close);
                })
                .verifyComplete();
    }

    @Test
    void allocateWithMaxWait_nobodyReleases_failsWithAllocationTimeoutAndTakesNothing() {
        BlockManager m = TestManagers.create(4);
        List<MutableBlock> held = m.allocate(3).block(VERIFY);

        StepVerifier.withVirtualTime(() -> m.allocate(2, Duration.ofSeconds(30)))
                .expectSubscription()
                .then(() -> assertThat(m.pendingAllocations()).isEqualTo(1))
                .thenAwait(Duration.ofSeconds(29))
                .then(() -> assertThat(m.pendingAllocations()).isEqualTo(1))
                .thenAwait(Duration.ofSeconds(1))
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(AllocationTimeoutException.class)
                        .isInstanceOf(TimeoutException.class)
                        .hasMessageContaining("2 block(s)")
                        .hasMessageContaining("PT30S"))
                .verify(VERIFY);

        assertThat(m.pendingAllocations()).isZero();
        assertThat(m.availableBlocks()).isEqualTo(1);
        held.forEach(MutableBlock::close);
    }

    @Test
    void allocateWithMaxWait_releaseBeforeDeadline_deliversAndTimerNeverFires() {
        BlockManager m = TestManagers.create(2);
        List<MutableBlock> held = m.allocate(2).block(VERIFY);

        StepVerifier.withVirtualTime(() -> m.allocate(1, Duration.ofSeconds(5)))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(4))
                .then(() -> held.get(0).close())
                .assertNext(blocks -> blocks.forEach(MutableBlock::close))
                .expectComplete()
                .verify(VERIFY);
        held.get(1).close();
        assertThat(m.availableBlocks()).isEqualTo(2);
    }

    @Test
    void allocateWithMaxWait_timedOutHead_unblocksTheNextWaiter() {
        BlockManager m = TestManagers.create(2);
        List<MutableBlock> held = m.allocate(1).block(VERIFY);

        // head wants 2 (cannot fit while one is held), the next one wants 1 (fits, but must not overtake the head)
        StepVerifier.withVirtualTime(() -> m.allocate(2, Duration.ofSeconds(1))
                        .materialize()
                        .zipWith(m.allocate(1, Duration.ofSeconds(10))))
                .expectSubscription()
                .then(() -> assertThat(m.pendingAllocations()).isEqualTo(2))
                .thenAwait(Duration.ofSeconds(1))
                .assertNext(pair -> {
                    assertThat(pair.getT1().getThrowable()).isInstanceOf(AllocationTimeoutException.class);
                    assertThat(pair.getT2()).hasSize(1);
                    pair.getT2().forEach(MutableBlock::close);
                })
                .expectComplete()
                .verify(VERIFY);
        held.forEach(MutableBlock::close);
    }

    @Test
    void allocateWithMaxWait_invalidArguments_throwAtOnce() {
        BlockManager m = TestManagers.create(2);
        assertThatThrownBy(() -> m.allocate(1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxWait must be positive, got PT0S");
        assertThatThrownBy(() -> m.allocate(1, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxWait");
        assertThatThrownBy(() -> m.allocate(3, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("n must be in [0, totalBlocks=2], got 3");
        assertThatThrownBy(() -> m.allocate(1, null)).isInstanceOf(NullPointerException.class);
    }
}
