package io.kvbm.benchmarks;

import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.LeakDetection;
import java.util.ArrayDeque;
import java.util.HashMap;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

/**
 * {@code n} blocks allocated at once and closed one by one, on one thread, against the plain-collections floor: an
 * {@link ArrayDeque} free list plus a {@link HashMap} of the blocks in flight doing the same bookkeeping (take n ids
 * oldest-freed first, hand out one guard object per block, remember it, forget it and append the id again on close).
 * Nothing is thread-safe, nothing is reactive: that is the physical floor of this work on the JVM, and the distance to
 * it is the price of the drain loop, the guards' single-use state words, the counters and the {@code Mono}.
 *
 * <ul>
 *   <li>{@code tryAllocateClose}: {@code tryAllocate(n)} (never waits; completes during {@code subscribe}).
 *   <li>{@code allocateClose}: {@code allocate(n)}, the waiting variant; its score over n is the per-block cost of a
 *       bulk allocation and release.
 *   <li>{@code allocateCloseAll}: {@code allocate(n)}, the n blocks closed with one {@code closeAllMutable}.
 *   <li>{@code plainFloor}: the floor.
 * </ul>
 *
 * Scores are per operation (one allocation of n and n closes), in nanoseconds.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TryAllocateBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TryAllocateBenchmark {

    private static final int POOL_SIZE = 1024;

    @Param({"1", "16", "128"})
    int n;

    private BlockManager manager;
    private Mono<List<MutableBlock>> tryAllocate;
    private Mono<List<MutableBlock>> allocate;
    private final SyncSink<List<MutableBlock>> sink = new SyncSink<>();

    private PlainPool plain;

    @Setup(Level.Trial)
    public void setUp() {
        manager = BlockManager.builder()
                .blockCount(POOL_SIZE)
                .blockSize(16)
                .leakDetection(LeakDetection.SAMPLED)
                .build();
        tryAllocate = manager.tryAllocate(n);
        allocate = manager.allocate(n);
        plain = new PlainPool(POOL_SIZE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close().block();
    }

    /** Ours: {@code tryAllocate(n)} + n {@code close()}. */
    @Benchmark
    public int tryAllocateClose() {
        tryAllocate.subscribe(sink);
        return closeAll(sink.take());
    }

    /** Ours: {@code allocate(n)} + n {@code close()}. */
    @Benchmark
    public int allocateClose() {
        allocate.subscribe(sink);
        return closeAll(sink.take());
    }

    /** Ours: {@code allocate(n)} + one {@code closeAllMutable} of the n blocks. */
    @Benchmark
    public int allocateCloseAll() {
        allocate.subscribe(sink);
        List<MutableBlock> blocks = sink.take();
        manager.closeAllMutable(blocks);
        return blocks.size();
    }

    /** The floor: the same bookkeeping in plain collections. */
    @Benchmark
    public int plainFloor() {
        PlainBlock[] blocks = plain.allocate(n);
        int sum = 0;
        for (PlainBlock block : blocks) {
            sum += block.id;
            plain.release(block);
        }
        return sum;
    }

    private static int closeAll(List<MutableBlock> blocks) {
        int sum = 0;
        for (int i = 0, size = blocks.size(); i < size; i++) {
            MutableBlock block = blocks.get(i);
            sum += block.blockId();
            block.close();
        }
        return sum;
    }

    /** A guard of the floor: the id and whether it was released. */
    static final class PlainBlock {
        final int id;
        boolean released;

        PlainBlock(int id) {
            this.id = id;
        }
    }

    /** A FIFO free list of boxed ids (boxed once, up front, so the cycle allocates only the guards) and a map. */
    static final class PlainPool {
        private final Integer[] boxes;
        private final ArrayDeque<Integer> free;
        private final HashMap<Integer, PlainBlock> inFlight;

        PlainPool(int size) {
            boxes = new Integer[size];
            free = new ArrayDeque<>(size);
            inFlight = new HashMap<>(size * 2);
            for (int i = 0; i < size; i++) {
                boxes[i] = i;
                free.addLast(boxes[i]);
            }
        }

        PlainBlock[] allocate(int n) {
            if (free.size() < n) {
                throw new IllegalStateException("pool exhausted");
            }
            PlainBlock[] blocks = new PlainBlock[n];
            for (int i = 0; i < n; i++) {
                Integer id = free.pollFirst();
                PlainBlock block = new PlainBlock(id);
                inFlight.put(id, block);
                blocks[i] = block;
            }
            return blocks;
        }

        void release(PlainBlock block) {
            if (!block.released) {
                block.released = true;
                Integer id = boxes[block.id];
                if (inFlight.remove(id) == block) {
                    free.addLast(id);
                }
            }
        }
    }
}
