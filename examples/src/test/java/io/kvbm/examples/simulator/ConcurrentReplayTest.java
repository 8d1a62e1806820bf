package io.kvbm.examples.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConcurrentReplayTest {

    private static final Trace TRACE =
            new WorkloadGenerator(WorkloadConfig.defaults().withSessions(150)).generate();
    private static final PolicyRegistry POLICIES = PolicyRegistry.builtIn();

    @Test
    void run_everyPolicy_completesEveryRequestAndBalancesTheBooks() {
        // run() itself fails if a block is still held or an allocation still waits at the end
        ConcurrentReplay replay = new ConcurrentReplay(TRACE, ConcurrentConfig.defaults());
        for (String policy : POLICIES.names()) {
            ReplayResult result = replay.run(POLICIES, policy, 600, 512, n -> {});

            assertThat(result.concurrent().completed()).as(policy).isEqualTo(TRACE.size());
            assertThat(result.concurrent().rejected()).isZero();
            assertThat(result.hitRate()).isBetween(0.0, 1.0);
        }
    }

    @Test
    void run_sameInput_sameFigures() {
        ConcurrentConfig loaded = new ConcurrentConfig(20, 32, 20, 20, 50, 1);
        ReplayResult first = new ConcurrentReplay(TRACE, loaded).run(POLICIES, "lineage", 400, 512, n -> {});
        ReplayResult second = new ConcurrentReplay(TRACE, loaded).run(POLICIES, "lineage", 400, 512, n -> {});

        assertThat(second.matchedBlocks()).isEqualTo(first.matchedBlocks());
        assertThat(second.concurrent()).isEqualTo(first.concurrent());
    }

    @Test
    void run_requestsThatNeverOverlapAndAnAmpleCache_hitLikeTheInfiniteCache() {
        // Arrivals stretched 1000x apart: every request finishes before the next arrives, nothing is evicted, so
        // each one finds exactly what an unbounded cache would (its own answer blocks never match a later prompt).
        ConcurrentConfig sparse = new ConcurrentConfig(0.001, 64, 20, 20, 50, 1);
        ReplayResult result = new ConcurrentReplay(TRACE, sparse).run(POLICIES, "lru", 200_000, 512, n -> {});

        assertThat(result.matchedBlocks())
                .isEqualTo(InfiniteCacheBound.compute(TRACE, n -> {}).matchedBlocks());
        assertThat(result.concurrent().preemptions()).isZero();
        assertThat(result.concurrent().p99QueueingMillis()).isZero();
    }

    @Test
    void run_greedyAdmissionUnderPressure_preemptsAndStillFinishes() {
        // No watermark, heavy load, a small pool: admissions take the blocks running requests need to grow.
        ConcurrentConfig greedy = new ConcurrentConfig(50, 64, 5, 20, 20, 0);
        ReplayResult result = new ConcurrentReplay(TRACE, greedy).run(POLICIES, "lru", 400, 512, n -> {});

        assertThat(result.concurrent().preemptions()).isPositive();
        assertThat(result.concurrent().completed()).isEqualTo(TRACE.size());
        assertThat(result.concurrent().p99QueueingMillis()).isPositive();
    }

    @Test
    void run_requestLongerThanTheCache_isRejectedNotAdmitted() {
        Trace trace = new Trace(
                "t",
                List.of(
                        new TraceRecord(0, 1024, 10, new long[] {1, 2}),
                        new TraceRecord(5, 4 * 512, 600, new long[] {1, 2, 3, 4}),
                        new TraceRecord(9, 1024, 10, new long[] {1, 2})));

        ReplayResult result =
                new ConcurrentReplay(trace, ConcurrentConfig.defaults()).run(POLICIES, "lru", 4, 512, n -> {});

        assertThat(result.concurrent().rejected()).isEqualTo(1);
        assertThat(result.concurrent().completed()).isEqualTo(2);
        assertThat(result.matchedBlocks()).isEqualTo(2);
    }
}
