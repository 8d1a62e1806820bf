package io.kvbm.examples.simulator;

import java.util.Arrays;
import java.util.TreeSet;
import java.util.function.LongConsumer;

/**
 * Belady's offline policy for the sequential replay: when blocks must be freed, evict the cached block whose next use
 * lies farthest in the future.
 *
 * <p>The cache model is the replay's: a request pins the longest cached prefix of its blocks (the hits, stopping at
 * the first miss), needs all its other blocks resident at once (evicting cached blocks only when free slots run out),
 * and leaves every one of its blocks cached when it ends. A block is <em>used</em> by every request whose prompt
 * contains it; its next use is the index of the next such request, computed offline by one backward pass.
 *
 * <p>Ties — blocks next used by the same request, or never again — evict the deepest block first. Because every request
 * that uses a block also uses all of its ancestors, a block is never next used later than its parent, so with this
 * tie-break a parent is never evicted while a descendant stays cached: the cache stays prefix-closed, and every cached
 * block of a request is part of its matched prefix. The result is optimal for this cache model (see
 * {@code docs/policies.md} for the argument and its limits), hence an upper bound for every policy the sequential replay
 * runs. A block a request finds cached after its first miss could only appear in a cache that is not prefix-closed;
 * it is dropped before the request allocates, since the request recomputes it anyway.
 */
public final class BeladyBound {

    private static final int NEVER = Integer.MAX_VALUE;

    private BeladyBound() {}

    /**
     * Computes the bound for one capacity.
     *
     * @param trace the requests, in order
     * @param capacity the number of cache slots; at least the longest request
     * @param progress told how many requests were processed, from time to time
     * @return the result
     * @throws IllegalArgumentException if a request is longer than {@code capacity}
     */
    public static ReplayResult compute(Trace trace, int capacity, LongConsumer progress) {
        return compute(PrefixTree.of(trace), capacity, progress);
    }

    static ReplayResult compute(PrefixTree tree, int capacity, LongConsumer progress) {
        long start = System.nanoTime();
        int requests = tree.requests();
        int[][] nextUse = nextUses(tree);
        int[] nextUseOf = new int[tree.nodeCount()];
        boolean[] cached = new boolean[tree.nodeCount()];
        // Evicted first: the latest next use, then the deepest position, then the highest node id (determinism).
        TreeSet<Integer> evictable = new TreeSet<>((a, b) -> {
            int c = Integer.compare(nextUseOf[b], nextUseOf[a]);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(tree.depth(b), tree.depth(a));
            return c != 0 ? c : Integer.compare(b, a);
        });
        int resident = 0;
        long requested = 0;
        long matched = 0;
        for (int r = 0; r < requests; r++) {
            int[] path = tree.path(r);
            if (path.length > capacity) {
                throw new IllegalArgumentException(
                        "request " + r + " has " + path.length + " blocks, more than the capacity " + capacity);
            }
            int k = 0;
            while (k < path.length && cached[path[k]]) {
                evictable.remove(path[k]); // pinned while the request runs
                k++;
            }
            for (int i = k; i < path.length; i++) {
                if (cached[path[i]]) { // unreachable behind the miss: recomputed, so its stale copy goes first
                    evictable.remove(path[i]);
                    cached[path[i]] = false;
                    resident--;
                }
            }
            int toEvict = resident + (path.length - k) - capacity;
            for (int e = 0; e < toEvict; e++) {
                int victim = evictable.pollFirst();
                cached[victim] = false;
                resident--;
            }
            for (int i = 0; i < path.length; i++) {
                int node = path[i];
                if (!cached[node]) {
                    cached[node] = true;
                    resident++;
                }
                nextUseOf[node] = nextUse[r][i];
                evictable.add(node);
            }
            requested += path.length;
            matched += k;
            if ((r & 255) == 255) {
                progress.accept(256);
            }
        }
        progress.accept(requests & 255);
        return ReplayResult.bound("belady", capacity, requests, requested, matched, System.nanoTime() - start);
    }

    /** {@code nextUse[r][i]}: the first request after {@code r} that contains block {@code i} of request {@code r}. */
    private static int[][] nextUses(PrefixTree tree) {
        int[] upcoming = new int[tree.nodeCount()];
        Arrays.fill(upcoming, NEVER);
        int[][] nextUse = new int[tree.requests()][];
        for (int r = tree.requests() - 1; r >= 0; r--) {
            int[] path = tree.path(r);
            int[] next = new int[path.length];
            for (int i = 0; i < path.length; i++) {
                next[i] = upcoming[path[i]];
                upcoming[path[i]] = r;
            }
            nextUse[r] = next;
        }
        return nextUse;
    }
}
