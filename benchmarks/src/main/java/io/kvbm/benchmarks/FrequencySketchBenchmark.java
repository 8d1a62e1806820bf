package io.kvbm.benchmarks;

import io.kvbm.frequency.FrequencySketch;
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
 * The TinyLFU sketch's {@code increment} and {@code frequency} at table sizes from 2^15 to 2^23 longs, over a
 * pre-generated key stream twice the capacity (Caffeine's {@code FrequencySketchBenchmark} shape). Large tables stop
 * fitting in the caches: the one-cache-line-per-key layout is what keeps the cost flat.
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
    private final long[] keys = new long[KEYS];
    private int index;

    @Setup(Level.Trial)
    public void setUp() {
        sketch = new FrequencySketch(capacity);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < KEYS; i++) {
            keys[i] = random.nextLong();
        }
        for (int i = 0; i < KEYS; i++) {
            sketch.increment(keys[i]); // a warm, realistic table
        }
    }

    @Benchmark
    public boolean increment() {
        return sketch.increment(keys[index++ & MASK]);
    }

    @Benchmark
    public int frequency() {
        return sketch.frequency(keys[index++ & MASK]);
    }
}
