package io.kvbm.examples.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.eviction.EvictionPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class SequentialReplayTest {

    private static final Trace TRACE =
            new WorkloadGenerator(WorkloadConfig.defaults().withSessions(200)).generate();

    @Test
    void run_sharedPrefixes_countsPrefixHitsOnly() {
        Trace trace = new Trace(
                "t",
                List.of(
                        new TraceRecord(0, 1536, 1, new long[] {1, 2, 3}),
                        new TraceRecord(1, 1536, 1, new long[] {1, 2, 4}), // 2 hits
                        new TraceRecord(2, 1536, 1, new long[] {9, 2, 3}), // another root: no hit
                        new TraceRecord(3, 1024, 1, new long[] {1, 2}))); // 2 hits

        ReplayResult result = new SequentialReplay(trace).run(PolicyRegistry.builtIn(), "lineage", 16, 512, n -> {});

        assertThat(result.matchedBlocks()).isEqualTo(4);
        assertThat(result.requestedBlocks()).isEqualTo(11);
        assertThat(result.hitRate()).isEqualTo(4.0 / 11);
    }

    @Test
    void run_newPolicyAddedInOneLine_isComparedLikeTheBuiltIns() {
        // The extension point of the simulator: a policy under a new name is one add() call.
        PolicyRegistry policies = PolicyRegistry.builtIn().add("lru-again", EvictionPolicy.lru());
        SequentialReplay replay = new SequentialReplay(TRACE);

        assertThat(replay.run(policies, "lru-again", 800, 512, n -> {}).matchedBlocks())
                .isEqualTo(replay.run(policies, "lru", 800, 512, n -> {}).matchedBlocks());
        assertThat(policies.names()).endsWith("lru-again");
    }

    @Test
    void run_releasingTailFirst_makesLruChooseLikeLineage() {
        // A parent is always released after its child, and every later user of the child also uses the parent, so
        // LRU never evicts an ancestor before a descendant: exactly the lineage policy's leaves-first order.
        SequentialReplay replay = new SequentialReplay(TRACE);
        PolicyRegistry policies = PolicyRegistry.builtIn();

        for (int capacity : new int[] {300, 900, 2_700}) {
            assertThat(replay.run(policies, "lru", capacity, 512, n -> {}).matchedBlocks())
                    .isEqualTo(replay.run(policies, "lineage", capacity, 512, n -> {})
                            .matchedBlocks());
        }
    }

    @Test
    void run_progress_reportsEveryRequestOnce() {
        long[] reported = {0};

        new SequentialReplay(TRACE).run(PolicyRegistry.builtIn(), "fifo", 1_000, 512, n -> reported[0] += n);

        assertThat(reported[0]).isEqualTo(TRACE.size());
    }

    @Test
    void run_capacitySmallerThanARequest_failsNamingIt() {
        Trace trace = new Trace("t", List.of(new TraceRecord(0, 1536, 1, new long[] {1, 2, 3})));

        assertThatThrownBy(() -> new SequentialReplay(trace).run(PolicyRegistry.builtIn(), "lru", 2, 512, n -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("request 0 has 3 blocks, more than the capacity 2");
    }

    @Test
    void policyRegistry_unknownName_failsListingTheKnownOnes() {
        assertThatThrownBy(() -> PolicyRegistry.builtIn().policy("clock"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "unknown policy \"clock\"; known: lineage, lineage-fifo, lru, fifo, multi-lru, lineage-lfu");
    }
}
