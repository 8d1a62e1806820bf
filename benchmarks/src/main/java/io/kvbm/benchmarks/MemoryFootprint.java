package io.kvbm.benchmarks;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.LeakDetection;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Retained heap per block slot of a manager of 1 000 000 blocks, per eviction policy: not a JMH benchmark but a heap
 * measurement (full GCs until the used heap settles, before and after building), printed as a Markdown table.
 *
 * <ul>
 *   <li><b>empty</b>: the manager as built, every slot in the reset pool: the fixed per-slot cost of the store and of
 *       the policy's index.
 *   <li><b>all cached</b>: every slot registered under a distinct hash and released, so the whole pool sits in the
 *       inactive index: adds the {@code SequenceHash} objects, the registry's registrations and presence marks and
 *       the index's entries: what a full cache retains.
 * </ul>
 *
 * The frequency sketch of {@code multiLru} (TinyLFU, MEDIUM: 16 MiB) belongs to the registry and is reported apart;
 * it does not grow with the block count.
 *
 * <p>Run: {@code java -XX:+UseParallelGC -Xmx8g -cp benchmarks/target/benchmarks.jar
 * io.kvbm.benchmarks.MemoryFootprint [blocks]}. Parallel GC, because G1 rounds every array larger than half a region
 * up to whole regions (a 16 MiB sketch occupies 20 MiB with 4 MiB regions), which would be counted as retained.
 */
public final class MemoryFootprint {

    private MemoryFootprint() {}

    public static void main(String[] args) throws InterruptedException {
        int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        System.out.printf(
                Locale.ROOT,
                "## Retained heap per block slot, %,d blocks (JDK %s, max heap %d MiB)%n%n",
                blocks,
                System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);
        System.out.println("| policy | empty manager, B/slot | all cached, B/slot | cached - empty, B/slot |");
        System.out.println("|---|---:|---:|---:|");
        for (String policy : new String[] {"lineage", "lineageFifo", "lru", "fifo", "multiLru"}) {
            measure(policy, blocks);
        }
        long before = usedHeap();
        FrequencyTracker sketch = FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.MEDIUM);
        long sketchBytes = usedHeap() - before;
        System.out.printf(
                Locale.ROOT,
                "%nTinyLFU tracker MEDIUM (shared by the registry, any block count): %,d bytes (%s)%n",
                sketchBytes,
                sketch);
    }

    private static void measure(String policy, int blocks) throws InterruptedException {
        boolean tracked = policy.equals("multiLru");
        BlockRegistry registry = tracked
                ? BlockRegistry.builder()
                        .frequencyTracker(FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.MEDIUM))
                        .build()
                : BlockRegistry.builder().build();
        long base = usedHeap();
        BlockManager manager = BlockManager.builder()
                .blockCount(blocks)
                .blockSize(16)
                .registry(registry)
                .eviction(Policies.byName(policy))
                .leakDetection(LeakDetection.DISABLED)
                .build();
        long empty = usedHeap() - base;
        SequenceHash[] hashes = hashes(blocks);

        int batch = 10_000;
        for (int from = 0; from < blocks; from += batch) {
            int n = Math.min(batch, blocks - from);
            List<MutableBlock> fresh = manager.allocate(n).block();
            List<CompleteBlock> staged = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                staged.add(fresh.get(i).stage(hashes[from + i], 16));
            }
            List<ImmutableBlock> handles = manager.registerAll(staged).block();
            manager.closeAll(handles);
        }
        if (manager.inactiveBlocks() != blocks) {
            throw new IllegalStateException("expected " + blocks + " cached blocks, got " + manager.inactiveBlocks());
        }
        hashes = null; // from here on only the manager and the registry retain the hashes
        long cached = usedHeap() - base;
        System.out.printf(
                Locale.ROOT,
                "| %s | %.1f | %.1f | %.1f |%n",
                policy,
                (double) empty / blocks,
                (double) cached / blocks,
                (double) (cached - empty) / blocks);
        manager.close().block();
    }

    private static SequenceHash[] hashes(int n) {
        SplittableRandom random = new SplittableRandom(7);
        SequenceHash[] hashes = new SequenceHash[n];
        for (int i = 0; i < n; i++) {
            hashes[i] = SequenceHash.of(1 + random.nextInt(1 << 20), random.nextLong(), random.nextLong());
        }
        return hashes;
    }

    /** Used heap after full collections, once it stops shrinking. */
    static long usedHeap() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(50);
            long now = rt.totalMemory() - rt.freeMemory();
            if (now >= used - 4096) {
                return Math.min(now, used);
            }
            used = now;
        }
        return used;
    }
}
