package io.kvbm.frequency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.tokens.SequenceHash;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The sketch against an exact reference model (Caffeine's {@code FrequencySketchTest} and fuzzer): a count-min sketch
 * may overestimate but never underestimates before aging, saturates at 15, and aging halves.
 */
class FrequencySketchTest {

    static LongStream seeds() {
        return LongStream.range(0, 25).map(i -> 0x5EED_0000L + i * 7919);
    }

    @Test
    void increment_once_frequencyIsOne() {
        // kvbm-core §6 "Tests: 1 touch → 1"
        FrequencySketch sketch = new FrequencySketch(1024);
        sketch.increment(42);
        assertThat(sketch.frequency(42)).isEqualTo(1);
    }

    @Test
    void increment_threeTimes_frequencyIsThree() {
        FrequencySketch sketch = new FrequencySketch(1024);
        for (int i = 0; i < 3; i++) {
            sketch.increment(7);
        }
        assertThat(sketch.frequency(7)).isEqualTo(3);
    }

    @Test
    void increment_twentyTimes_saturatesAtFifteen() {
        FrequencySketch sketch = new FrequencySketch(1024);
        for (int i = 0; i < 20; i++) {
            sketch.increment(99);
        }
        assertThat(sketch.frequency(99)).isEqualTo(15);
        // a saturated key no longer counts towards the sample: it cannot bring the next aging forward
        int size = sketch.size();
        assertThat(sketch.increment(99)).isFalse();
        assertThat(sketch.size()).isEqualTo(size);
    }

    @Test
    void reset_halvesCounters() {
        // kvbm-core §6 "manual decay halves 4 → 2"
        FrequencySketch sketch = new FrequencySketch(1024);
        for (int i = 0; i < 4; i++) {
            sketch.increment(5);
        }
        sketch.reset();
        assertThat(sketch.frequency(5)).isEqualTo(2);
    }

    @Test
    void increment_sampleSizeReached_agesAutomatically() {
        FrequencySketch sketch = new FrequencySketch(16); // sample size 160
        assertThat(sketch.sampleSize()).isEqualTo(160);
        for (int i = 0; i < 8; i++) {
            sketch.increment(-1L);
        }
        assertThat(sketch.frequency(-1L)).isEqualTo(8);
        boolean aged = false;
        int estimateBefore = 0;
        for (long k = 0; k < 10_000 && !aged; k++) {
            int sizeBefore = sketch.size();
            estimateBefore = sketch.frequency(-1L);
            sketch.increment(k);
            aged = sketch.size() < sizeBefore; // the 160th counting increment halves the size
        }
        assertThat(aged).as("the sketch aged within 10 000 increments").isTrue();
        // halved; the aging increment itself may have bumped one of the key's counters first
        assertThat(sketch.frequency(-1L)).isBetween(estimateBefore / 2, (estimateBefore + 1) / 2);
        assertThat(estimateBefore).isGreaterThanOrEqualTo(8);
    }

    @Test
    void constructor_capacityOutOfRange_rejectedWithValue() {
        assertThatThrownBy(() -> new FrequencySketch(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacity must be in [1, 1073741824], got 0");
        assertThatThrownBy(() -> new FrequencySketch((1L << 30) + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 1073741825");
    }

    @Test
    void constructor_presets_tableAndSampleSizes() {
        assertThat(new FrequencySketch(FrequencyTrackingCapacity.SMALL.capacity()).tableLength())
                .isEqualTo(1 << 18);
        FrequencySketch tiny = new FrequencySketch(3);
        assertThat(tiny.tableLength()).isEqualTo(8); // one 64-byte block at least
        assertThat(tiny.sampleSize()).isEqualTo(30);
    }

    @Test
    void spread_usesAll128Bits() {
        SequenceHash a = SequenceHash.of(5, 0x1234_5678_9ABC_DEF0L, 0x1111L);
        SequenceHash b = SequenceHash.of(5, 0x1234_5678_9ABC_DEF0L, 0x1112L); // differs only in the parent fragment
        SequenceHash c = SequenceHash.of(6, 0x1234_5678_9ABC_DEF0L, 0x1111L); // differs only in the position
        assertThat(FrequencySketch.spread(a))
                .isNotEqualTo(FrequencySketch.spread(b))
                .isNotEqualTo(FrequencySketch.spread(c));
        assertThat(FrequencySketch.spread(a)).isEqualTo(FrequencySketch.spread(SequenceHash.fromBytes(a.toBytes())));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void frequency_withoutAging_neverUnderestimates(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        FrequencySketch sketch = new FrequencySketch(512); // sample 5120: stay below it
        Map<Long, Integer> exact = new HashMap<>();
        int increments = 0;
        while (increments < 4_000) {
            // skewed keys: a few hot, many cold, so collisions and saturation both happen
            long key = random.nextInt(4) == 0 ? random.nextInt(8) : random.nextLong();
            if (sketch.increment(key)) {
                increments++;
            }
            exact.merge(key, 1, Integer::sum);
        }
        for (Map.Entry<Long, Integer> e : exact.entrySet()) {
            assertThat(sketch.frequency(e.getKey()))
                    .as("estimate of key %d seen %d times (seed %d)", e.getKey(), e.getValue(), seed)
                    .isGreaterThanOrEqualTo(Math.min(e.getValue(), 15))
                    .isLessThanOrEqualTo(15);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void size_underManyIncrements_staysWithinTheSample(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        FrequencySketch sketch = new FrequencySketch(64);
        for (int i = 0; i < 50_000; i++) {
            sketch.increment(random.nextInt(random.nextBoolean() ? 16 : 100_000));
            assertThat(sketch.size())
                    .as("size after %d increments (seed %d)", i, seed)
                    .isBetween(0, sketch.sampleSize() - 1);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void reset_halvesEveryEstimateOfTheModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        FrequencySketch sketch = new FrequencySketch(4096);
        long[] keys = random.longs(64).toArray();
        for (long key : keys) {
            int n = random.nextInt(16);
            for (int i = 0; i < n; i++) {
                sketch.increment(key);
            }
        }
        int[] before = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            before[i] = sketch.frequency(keys[i]);
        }
        sketch.reset();
        for (int i = 0; i < keys.length; i++) {
            // min over halved counters == half the min (halving is monotone)
            assertThat(sketch.frequency(keys[i]))
                    .as("key %d (seed %d)", i, seed)
                    .isEqualTo(before[i] / 2);
        }
    }
}
