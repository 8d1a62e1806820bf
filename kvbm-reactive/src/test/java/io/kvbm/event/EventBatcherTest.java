package io.kvbm.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.StorageTier;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.test.scheduler.VirtualTimeScheduler;

class EventBatcherTest {

    private static SequenceHash at(int position) {
        return SequenceHash.of(position, 0x1000L + position, 0x77L);
    }

    private static EventBatcher batcher(int maxSize, Duration window) {
        return EventBatcher.builder().maxBatchSize(maxSize).window(window).build();
    }

    @Test
    void batch_storesThenRemoves_sortedAscendingThenDescending() {
        // kvbm-seq-events §6 invariant 8
        Flux<CacheEvent> creates =
                Flux.just(CacheEvent.stored(at(10)), CacheEvent.stored(at(5)), CacheEvent.stored(at(15)));
        StepVerifier.create(batcher(1024, Duration.ofSeconds(60)).batch(creates, 12345, StorageTier.G2))
                .assertNext(b -> {
                    assertThat(b.kind()).isEqualTo(EventKind.STORED);
                    assertThat(b.hashes()).extracting(SequenceHash::position).containsExactly(5, 10, 15);
                    assertThat(b.instanceId()).isEqualTo(12345);
                    assertThat(b.tier()).isEqualTo(StorageTier.G2);
                })
                .verifyComplete();
        Flux<CacheEvent> removes =
                Flux.just(CacheEvent.removed(at(10)), CacheEvent.removed(at(5)), CacheEvent.removed(at(15)));
        StepVerifier.create(batcher(1024, Duration.ofSeconds(60)).batch(removes, 1, StorageTier.G1))
                .assertNext(b -> assertThat(b.hashes())
                        .extracting(SequenceHash::position)
                        .containsExactly(15, 10, 5))
                .verifyComplete();
    }

    @Test
    void batch_kindSwitch_flushesImmediately() {
        // kvbm-seq-events §6 invariant 9: C10, C11, R5, C12 -> [C x2], [R x1], [C x1] (the last at stream end)
        Flux<CacheEvent> events = Flux.just(
                CacheEvent.stored(at(10)),
                CacheEvent.stored(at(11)),
                CacheEvent.removed(at(5)),
                CacheEvent.stored(at(12)));
        StepVerifier.create(batcher(1024, Duration.ofSeconds(60)).batch(events, 1, StorageTier.G1))
                .assertNext(b -> assertThat(b.hashes()).hasSize(2))
                .assertNext(b -> assertThat(b.kind()).isEqualTo(EventKind.REMOVED))
                .assertNext(b -> {
                    assertThat(b.kind()).isEqualTo(EventKind.STORED);
                    assertThat(b.seq()).isEqualTo(2);
                })
                .verifyComplete();
    }

    @Test
    void batch_maxSizeThree_fiveEvents_threeThenTwo() {
        // kvbm-seq-events §6 invariant 10
        Flux<CacheEvent> events = Flux.range(0, 5).map(i -> CacheEvent.stored(at(i)));
        StepVerifier.create(batcher(3, Duration.ofSeconds(60)).batch(events, 1, StorageTier.G1))
                .assertNext(b -> assertThat(b.hashes()).hasSize(3))
                .assertNext(b -> assertThat(b.hashes()).hasSize(2))
                .verifyComplete();
    }

    @Test
    void batch_oneEventNoEnd_flushedByTheWindow() {
        // kvbm-seq-events §6 invariant 11, in virtual time
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        TestPublisher<CacheEvent> input = TestPublisher.create();
        EventBatcher batcher = EventBatcher.builder()
                .window(Duration.ofMillis(50))
                .scheduler(time)
                .build();
        StepVerifier.withVirtualTime(() -> batcher.batch(input, 1, StorageTier.G1), () -> time, Long.MAX_VALUE)
                .expectSubscription()
                .then(() -> input.next(CacheEvent.stored(at(3))))
                .expectNoEvent(Duration.ofMillis(49))
                .thenAwait(Duration.ofMillis(1))
                .assertNext(b -> assertThat(b.hashes()).containsExactly(at(3)))
                .then(input::complete)
                .verifyComplete();
    }

    @Test
    void batch_inputError_passedOn() {
        Flux<CacheEvent> events =
                Flux.concat(Flux.just(CacheEvent.stored(at(1))), Flux.error(new IllegalStateException("boom")));
        StepVerifier.create(batcher(8, Duration.ofSeconds(60)).batch(events, 1, StorageTier.G1))
                .expectErrorMessage("boom")
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void builder_invalidValues_rejectedNamingThem() {
        assertThatThrownBy(() -> EventBatcher.builder().maxBatchSize(0))
                .hasMessageContaining("maxBatchSize must be positive, got 0");
        assertThatThrownBy(() -> EventBatcher.builder().window(Duration.ZERO))
                .hasMessageContaining("window must be positive, got PT0S");
        assertThatThrownBy(() -> new CacheEvent(EventKind.SHUTDOWN, at(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void powerOfTwo_defaultRange_acceptsLandmarksOnly() {
        // kvbm-seq-events §6 invariant 3
        EmissionPolicy p = EmissionPolicy.powerOfTwo();
        for (int pos : List.of(16, 32, 64, 128, 1024, 65536)) {
            assertThat(p.shouldEmit(at(pos))).as("position %d", pos).isTrue();
        }
        for (int pos : List.of(0, 1, 2, 4, 8, 15, 17, 31, 33, 63, 65, 100, 1000, 10000, 131072)) {
            assertThat(p.shouldEmit(at(pos))).as("position %d", pos).isFalse();
        }
        EmissionPolicy range = EmissionPolicy.powerOfTwo(32, 128);
        assertThat(List.of(32, 64, 128)).allMatch(pos -> range.shouldEmit(at(pos)));
        assertThat(List.of(16, 256)).noneMatch(pos -> range.shouldEmit(at(pos)));
        assertThat(EmissionPolicy.all().shouldEmit(at(17))).isTrue(); // invariant 7
        assertThatThrownBy(() -> EmissionPolicy.powerOfTwo(0, 8))
                .hasMessageContaining("1 <= min <= max, got min=0, max=8");
    }
}
