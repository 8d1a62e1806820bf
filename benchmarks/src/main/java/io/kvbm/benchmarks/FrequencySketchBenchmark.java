package io.kvbm.benchmarks;

import io.kvbm.frequency.FrequencySketch;
import io.kvbm.tokens.SequenceHash;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The TinyLFU sketch's {@code increment} and {@code frequency} against a port of kvbm's sketch layout
 * ({@link KvbmSketch}), each sized for the same {@code capacity} (our table: capacity longs, 16 counters per key, one
 * cache line per key; kvbm's: capacity / 4 longs, 4 counters per key in 4 unrelated words, 4 XXH3 hashes). Keys are
 * 128-bit sequence hashes from a pre-generated stream of 2^20, as the managers touch them: ours goes through
 * {@link FrequencySketch#spread(SequenceHash)}, kvbm's hashes the 16 bytes. Capacities 2^15 … 2^23 (Caffeine's
 * {@code FrequencySketchBenchmark} sweep): large tables leave the caches.
 *
 * <p>Scores are operations per microsecond. The port has no mutex (kvbm's has one), so the comparison is of layout and
 * hashing only.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar FrequencySketchBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrequencySketchBenchmark {

    private static final int KEYS = 1 << 20;
    private static final int MASK = KEYS - 1;

    @Param({"32768", "262144", "2097152", "8388608"})
    int capacity;

    private FrequencySketch sketch;
    private KvbmSketch kvbm;
    private final SequenceHash[] keys = new SequenceHash[KEYS];
    private int index;

    @Setup(Level.Trial)
    public void setUp() {
        sketch = new FrequencySketch(capacity);
        kvbm = new KvbmSketch(capacity);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < KEYS; i++) {
            keys[i] = SequenceHash.of(random.nextInt(1 << 16), random.nextLong(), random.nextLong());
        }
        for (int i = 0; i < KEYS; i++) {
            // warm, realistic tables
            sketch.increment(FrequencySketch.spread(keys[i]));
            kvbm.increment(keys[i].highBits(), keys[i].lowBits());
        }
    }

    @Benchmark
    public boolean increment() {
        return sketch.increment(FrequencySketch.spread(keys[index++ & MASK]));
    }

    @Benchmark
    public int frequency() {
        return sketch.frequency(FrequencySketch.spread(keys[index++ & MASK]));
    }

    @Benchmark
    public boolean kvbmIncrement() {
        SequenceHash key = keys[index++ & MASK];
        return kvbm.increment(key.highBits(), key.lowBits());
    }

    @Benchmark
    public int kvbmFrequency() {
        SequenceHash key = keys[index++ & MASK];
        return kvbm.frequency(key.highBits(), key.lowBits());
    }
}
