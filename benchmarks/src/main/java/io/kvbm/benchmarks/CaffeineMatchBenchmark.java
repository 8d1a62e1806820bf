package io.kvbm.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
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
 * The peer of {@link MatchBenchmark}: Caffeine 3.3.1's {@code getIfPresent} × N on the same N chain keys, stopping
 * at the first miss as a prefix match does, in a bounded cache of 2N entries (W-TinyLFU, so each read is recorded for
 * its frequency sketch, as our hits are touched).
 *
 * <p>Caffeine is the JVM's reference for a concurrent keyed cache; it hands out shared values and has no handles to
 * close, so the distance measures what our handles, reference counts and single-writer loop cost on top of a lookup.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar "MatchBenchmark" -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CaffeineMatchBenchmark {

    @Param({"8", "32", "128"})
    int blocks;

    private List<SequenceHash> chain;
    private Cache<SequenceHash, Integer> cache;

    @Setup(Level.Trial)
    public void setUp() {
        chain = ChainFixture.hashes(blocks);
        cache = Caffeine.newBuilder().maximumSize(blocks * 2L).build();
        for (int i = 0; i < chain.size(); i++) {
            cache.put(chain.get(i), i);
        }
    }

    @Benchmark
    public int getIfPresent() {
        int hits = 0;
        for (int i = 0, n = chain.size(); i < n; i++) {
            Integer id = cache.getIfPresent(chain.get(i));
            if (id == null) {
                break;
            }
            hits += id;
        }
        return hits;
    }
}
