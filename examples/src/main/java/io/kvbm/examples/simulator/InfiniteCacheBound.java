package io.kvbm.examples.simulator;

import java.util.function.LongConsumer;

/**
 * The hit rate of a cache that never evicts: a request hits the longest prefix of its blocks that any earlier request
 * already contained (prefix hits, stopping at the first miss, as in the replay). No eviction policy at any capacity
 * can do better, and a policy reaches it once the capacity holds every distinct prefix of the trace.
 */
public final class InfiniteCacheBound {

    private InfiniteCacheBound() {}

    /**
     * Computes the bound.
     *
     * @param trace the requests, in order
     * @param progress told how many requests were processed, from time to time
     * @return the result, with capacity {@link ReplayResult#UNBOUNDED}
     */
    public static ReplayResult compute(Trace trace, LongConsumer progress) {
        long start = System.nanoTime();
        PrefixTree tree = PrefixTree.of(trace);
        boolean[] seen = new boolean[tree.nodeCount()];
        long requested = 0;
        long matched = 0;
        for (int r = 0; r < tree.requests(); r++) {
            int[] path = tree.path(r);
            int k = 0;
            while (k < path.length && seen[path[k]]) {
                k++;
            }
            for (int node : path) {
                seen[node] = true;
            }
            requested += path.length;
            matched += k;
            if ((r & 1023) == 1023) {
                progress.accept(1024);
            }
        }
        progress.accept(tree.requests() & 1023);
        return ReplayResult.bound(
                "infinite", ReplayResult.UNBOUNDED, tree.requests(), requested, matched, System.nanoTime() - start);
    }
}
