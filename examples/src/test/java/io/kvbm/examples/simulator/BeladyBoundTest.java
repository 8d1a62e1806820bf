package io.kvbm.examples.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BeladyBoundTest {

    /**
     * docs/policies.md claims that farthest-next-use with deepest-first ties is optimal for the replay's cache model.
     * Check it against an exhaustive search over every choice of victims on small random prefix-sharing traces.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void compute_smallRandomTraces_equalsExhaustiveOptimum(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Trace trace = randomTrace(random, 7);
        int capacity = 3 + random.nextInt(3);
        PrefixTree tree = PrefixTree.of(trace);

        long belady = BeladyBound.compute(trace, capacity, n -> {}).matchedBlocks();
        long optimum = best(tree, capacity, 0, new HashSet<>());

        assertThat(belady).as("seed %d, capacity %d", seed, capacity).isEqualTo(optimum);
    }

    @Test
    void compute_capacityHoldingEveryPrefix_equalsInfiniteBound() {
        Trace trace = new WorkloadGenerator(WorkloadConfig.defaults().withSessions(200)).generate();
        int everything = PrefixTree.of(trace).nodeCount();

        assertThat(BeladyBound.compute(trace, everything, n -> {}).matchedBlocks())
                .isEqualTo(InfiniteCacheBound.compute(trace, n -> {}).matchedBlocks());
    }

    @Test
    void compute_everyPolicy_staysAtOrBelowBelady() {
        Trace trace = new WorkloadGenerator(WorkloadConfig.defaults().withSessions(300)).generate();
        SequentialReplay replay = new SequentialReplay(trace);
        PolicyRegistry policies = PolicyRegistry.builtIn();
        for (int capacity : new int[] {300, 1_000, 3_000}) {
            long belady = BeladyBound.compute(trace, capacity, n -> {}).matchedBlocks();
            for (String policy : policies.names()) {
                assertThat(replay.run(policies, policy, capacity, 512, n -> {}).matchedBlocks())
                        .as("%s at %d", policy, capacity)
                        .isLessThanOrEqualTo(belady);
            }
        }
    }

    @Test
    void compute_requestLongerThanCapacity_failsNamingIt() {
        Trace trace = new Trace("t", List.of(new TraceRecord(0, 2048, 1, new long[] {1, 2, 3, 4})));

        assertThatThrownBy(() -> BeladyBound.compute(trace, 3, n -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("request 0 has 4 blocks, more than the capacity 3");
    }

    /** Requests over a tiny id alphabet, so that prefixes are shared and evictions matter. */
    private static Trace randomTrace(SplittableRandom random, int requests) {
        List<TraceRecord> records = new ArrayList<>();
        for (int r = 0; r < requests; r++) {
            int n = 1 + random.nextInt(3);
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = random.nextInt(2);
            }
            records.add(new TraceRecord(r, n * 512, 1, ids));
        }
        return new Trace("random", records);
    }

    /**
     * The most hits any eviction schedule of the replay's model can get from request {@code r} on: hits are the
     * cached prefix, cached blocks behind the first miss are recomputed, and every way of choosing the victims among
     * the unpinned cached blocks (exactly as many as the request needs) is tried.
     */
    private static long best(PrefixTree tree, int capacity, int r, Set<Integer> cache) {
        if (r == tree.requests()) {
            return 0;
        }
        int[] path = tree.path(r);
        int k = 0;
        while (k < path.length && cache.contains(path[k])) {
            k++;
        }
        Set<Integer> pinned = new HashSet<>();
        Set<Integer> rest = new HashSet<>(cache);
        for (int i = 0; i < path.length; i++) {
            rest.remove(path[i]);
            if (i < k) {
                pinned.add(path[i]);
            }
        }
        int toEvict = pinned.size() + rest.size() + (path.length - k) - capacity;
        List<Integer> candidates = new ArrayList<>(rest);
        long bestRest = Long.MIN_VALUE;
        for (List<Integer> victims : subsets(candidates, Math.max(0, toEvict))) {
            Set<Integer> next = new HashSet<>(rest);
            next.removeAll(victims);
            for (int node : path) {
                next.add(node);
            }
            bestRest = Math.max(bestRest, best(tree, capacity, r + 1, next));
        }
        return k + bestRest;
    }

    private static List<List<Integer>> subsets(List<Integer> items, int size) {
        List<List<Integer>> out = new ArrayList<>();
        collect(items, size, 0, new ArrayList<>(), out);
        return out;
    }

    private static void collect(
            List<Integer> items, int size, int from, List<Integer> chosen, List<List<Integer>> out) {
        if (chosen.size() == size) {
            out.add(new ArrayList<>(chosen));
            return;
        }
        for (int i = from; i < items.size(); i++) {
            chosen.add(items.get(i));
            collect(items, size, i + 1, chosen, out);
            chosen.remove(chosen.size() - 1);
        }
    }
}
