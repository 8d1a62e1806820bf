package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.testing.TestManagers;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Hooks;

/**
 * The bounded soak: {@link BlockManagerStressTest}'s four workers on {@code parallel()} threads (BlockHound-checked),
 * one million random operations per eviction × duplication policy pair, ten million in all, with waits bounded by
 * operator timeouts and in-manager timeouts, cancellations before, during and after hand-over, and subscribers that
 * throw from {@code onNext}. After each pair: nothing held, nothing leaked, no block ever handed to two live guards
 * (the workers' claim map fails at once otherwise), the audit clean. The heap, measured after GC at the start, half
 * way and at the end, must not grow.
 *
 * <p>Tagged {@code soak}: the README's test command excludes it. Run it with
 *
 * <pre>
 * mvn -B -pl kvbm-reactive -am test -Dgroups=soak -DexcludedGroups= -Dtest=BlockManagerSoakTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * ({@code -Dkvbm.soak.ops=N} sets the operations per worker and pair, default 250 000; {@code -Dkvbm.soak.seed=S}
 * replays each worker's choices). The figures of a run are in docs/reliability.md.
 */
@Tag("soak")
class BlockManagerSoakTest {

    private static final int OPS_PER_WORKER = Integer.getInteger("kvbm.soak.ops", 250_000);
    /** Allowed growth of the used heap after GC between the start and the end. */
    private static final long HEAP_SLACK = 32L << 20;

    private final AtomicLong droppedBlocks = new AtomicLong();
    private final AtomicLong unexpectedDropped = new AtomicLong();

    @BeforeEach
    void hooks() {
        Hooks.onNextDropped(value -> droppedBlocks.addAndGet(BlockManagerStressTest.closeAny(value)));
        Hooks.onErrorDropped(e -> {
            if (!"subscriber bug (thrown on purpose)".equals(e.getMessage())) {
                unexpectedDropped.incrementAndGet();
            }
        });
    }

    @AfterEach
    void resetHooks() {
        Hooks.resetOnNextDropped();
        Hooks.resetOnErrorDropped();
    }

    @Test
    void tenMillionRandomOperations_everyPolicy_nothingLostNothingSharedHeapStable() {
        long baseSeed = Long.getLong("kvbm.soak.seed", System.nanoTime());
        List<EvictionPolicy> policies = TestManagers.evictionPolicies();
        List<long[]> heap = new ArrayList<>();
        heap.add(new long[] {0, usedHeapAfterGc()});
        long ops = 0;
        long timeouts = 0;
        long cancels = 0;
        long throwing = 0;
        long allocations = 0;
        long evictions = 0;
        long millis = 0;
        List<String> lines = new ArrayList<>();
        int pair = 0;
        int pairs = policies.size() * DuplicationPolicy.values().length;
        for (EvictionPolicy policy : policies) {
            for (DuplicationPolicy duplication : DuplicationPolicy.values()) {
                BlockManagerStressTest.Result r = BlockManagerStressTest.hammer(
                        policy,
                        duplication,
                        OPS_PER_WORKER,
                        baseSeed + 100L * pair,
                        droppedBlocks,
                        Duration.ofMinutes(10));
                ops += r.ops();
                timeouts += r.timeouts();
                cancels += r.cancels();
                throwing += r.throwingSubscribers();
                allocations += r.stats().allocations();
                evictions += r.stats().evictions();
                millis += r.millis();
                lines.add(String.format(
                        "  %-12s × %-6s %,d ops in %,d ms (%,d ops/s); %,d timeouts, %,d cancels, %,d throwing"
                                + " subscribers; %,d allocations, %,d evictions, %,d blocks leaked",
                        policy.name(),
                        duplication,
                        r.ops(),
                        r.millis(),
                        r.ops() * 1000 / Math.max(1, r.millis()),
                        r.timeouts(),
                        r.cancels(),
                        r.throwingSubscribers(),
                        r.stats().allocations(),
                        r.stats().evictions(),
                        r.stats().leakedBlocks()));
                pair++;
                if (pair == pairs / 2) {
                    heap.add(new long[] {ops, usedHeapAfterGc()});
                }
            }
        }
        heap.add(new long[] {ops, usedHeapAfterGc()});

        StringBuilder report = new StringBuilder(String.format(
                "soak seed %d: %,d ops in %,d ms (%,d ops/s, 4 workers); %,d timeouts, %,d cancels, %,d throwing"
                        + " subscribers, %,d blocks dropped by operator timeouts (closed by the hook); %,d allocations,"
                        + " %,d evictions; blocks lost 0, double ownership 0%n",
                baseSeed,
                ops,
                millis,
                ops * 1000 / Math.max(1, millis),
                timeouts,
                cancels,
                throwing,
                droppedBlocks.get(),
                allocations,
                evictions));
        lines.forEach(line -> report.append(line).append('\n'));
        for (long[] h : heap) {
            report.append(String.format("  heap used after GC at %,d ops: %,d KiB%n", h[0], h[1] >> 10));
        }
        System.out.print(report);

        assertThat(ops).isGreaterThanOrEqualTo(40L * OPS_PER_WORKER);
        assertThat(unexpectedDropped.get())
                .as("errors dropped other than the throwing subscribers'")
                .isZero();
        assertThat(timeouts).as("timeouts injected").isPositive();
        assertThat(cancels).as("cancels injected").isPositive();
        long start = heap.get(0)[1];
        long end = heap.get(heap.size() - 1)[1];
        assertThat(end - start)
                .as("heap growth over the soak (start %d KiB, end %d KiB)", start >> 10, end >> 10)
                .isLessThan(HEAP_SLACK);
    }

    /** Used heap after a few full collections (the test thread may sleep; BlockHound checks parallel() only). */
    private static long usedHeapAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
