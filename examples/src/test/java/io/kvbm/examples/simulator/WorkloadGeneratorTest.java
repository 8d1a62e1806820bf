package io.kvbm.examples.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WorkloadGeneratorTest {

    private static final WorkloadConfig SMALL = WorkloadConfig.defaults().withSessions(300);

    @Test
    void generate_sameSeed_identicalTrace() {
        Trace first = new WorkloadGenerator(SMALL.withSeed(7)).generate();
        Trace second = new WorkloadGenerator(SMALL.withSeed(7)).generate();

        assertThat(second).isEqualTo(first);
    }

    @Test
    void generate_otherSeed_otherTrace() {
        Trace first = new WorkloadGenerator(SMALL.withSeed(7)).generate();
        Trace second = new WorkloadGenerator(SMALL.withSeed(8)).generate();

        assertThat(second.records()).isNotEqualTo(first.records());
    }

    @Test
    void generate_defaults_sameTraceAsDocumented() {
        // The README and docs/policies.md quote figures of the default workload: pin its size so they stay true.
        Trace trace = new WorkloadGenerator(WorkloadConfig.defaults()).generate();

        assertThat(trace.size()).isEqualTo(11_420);
        assertThat(trace.totalBlocks()).isEqualTo(314_585);
        assertThat(PrefixTree.of(trace).nodeCount()).isEqualTo(59_162);
    }

    @Test
    void generate_records_sortedByTimestampWithOneIdPerBlock() {
        Trace trace = new WorkloadGenerator(SMALL).generate();

        long previous = -1;
        for (TraceRecord r : trace.records()) {
            assertThat(r.timestamp()).isGreaterThanOrEqualTo(previous);
            previous = r.timestamp();
            assertThat(r.blocks()).isEqualTo((r.inputLength() + 511) / 512);
            assertThat(r.outputLength()).isBetween(SMALL.minOutputTokens(), SMALL.maxOutputTokens());
        }
    }

    @Test
    void generate_conversations_reuseTheirPrefixes() {
        // Multi-turn sessions and shared system prompts make most of an unbounded cache's lookups hits.
        Trace trace = new WorkloadGenerator(SMALL).generate();

        ReplayResult infinite = InfiniteCacheBound.compute(trace, n -> {});

        assertThat(infinite.hitRate()).isBetween(0.5, 0.95);
    }

    @Test
    void zipfSampler_rankZero_isTheMostPopular() {
        ZipfSampler zipf = new ZipfSampler(50, 1.1);
        SplittableRandom random = new SplittableRandom(1);
        int[] counts = new int[50];
        for (int i = 0; i < 100_000; i++) {
            counts[zipf.sample(random)]++;
        }

        assertThat(counts[0]).isGreaterThan(counts[1]).isGreaterThan(counts[10]).isGreaterThan(counts[49]);
        // P(rank 0) / P(rank 1) = 2^1.1 ≈ 2.14
        assertThat((double) counts[0] / counts[1]).isBetween(1.95, 2.35);
    }

    @Test
    void config_invalidKnob_failsNamingIt() {
        assertThatThrownBy(() -> WorkloadConfig.defaults().withSessions(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sessions must be >= 1, got 0");
    }
}
