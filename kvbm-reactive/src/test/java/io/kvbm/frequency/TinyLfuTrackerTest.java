package io.kvbm.frequency;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class TinyLfuTrackerTest {

    @Test
    void touch_countsLikeTheSketch() {
        FrequencyTracker tracker = FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.SMALL);
        SequenceHash h = TestTokens.chain(0, 1).get(0);
        assertThat(tracker.count(h)).isZero();
        tracker.touch(h);
        tracker.touch(h);
        assertThat(tracker.count(h)).isEqualTo(2);
    }

    @Test
    void noop_countsNothing() {
        FrequencyTracker tracker = FrequencyTracker.noop();
        SequenceHash h = TestTokens.chain(0, 1).get(0);
        tracker.touch(h);
        assertThat(tracker.count(h)).isZero();
    }

    @Test
    void touch_fromParallelThreads_neitherBlocksNorOvercounts() {
        TinyLfuTracker tracker = (TinyLfuTracker) FrequencyTracker.tinyLfu(1 << 12);
        List<SequenceHash> hashes = TestTokens.roots(3, 8);
        int perThread = 20_000;
        // BlockHound watches parallel() threads: a lock or a spin-wait here would fail the test
        StepVerifier.create(Flux.range(0, 4)
                        .parallel(4)
                        .runOn(Schedulers.parallel())
                        .doOnNext(t -> {
                            for (int i = 0; i < perThread; i++) {
                                tracker.touch(hashes.get(i & 7));
                            }
                        })
                        .sequential()
                        .then())
                .expectComplete()
                .verify(Duration.ofSeconds(30));
        // every hash was touched 10 000 times: saturated unless too many touches were dropped
        for (SequenceHash h : hashes) {
            assertThat(tracker.count(h)).isBetween(1, 15);
        }
        assertThat(tracker.dropped()).isLessThan(4L * perThread);
    }

    @Test
    void touch_afterContention_appliesBufferedTouches() {
        TinyLfuTracker tracker = (TinyLfuTracker) FrequencyTracker.tinyLfu(1024);
        SequenceHash a = TestTokens.roots(1, 1).get(0);
        SequenceHash b = TestTokens.roots(2, 1).get(0);
        // simulate a touch that finds the writer flag taken: it must land in the ring and be applied later
        tracker.touchWhileWriterBusyForTest(a);
        assertThat(tracker.count(a)).isZero();
        tracker.touch(b);
        assertThat(tracker.count(a)).isEqualTo(1);
        assertThat(tracker.count(b)).isEqualTo(1);
    }
}
