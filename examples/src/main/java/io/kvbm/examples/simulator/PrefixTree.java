package io.kvbm.examples.simulator;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Interns every distinct prompt prefix of a trace as a small integer: the node for block {@code i} of a request stands
 * for its whole prefix {@code hash_ids[0..i]}, exactly the identity a {@link io.kvbm.tokens.SequenceHash} chain gives
 * the block in the manager. The offline bounds work on these nodes (arrays instead of hash maps), and since a node's
 * parent is the node of the previous position, a request is a root-to-node path in this tree.
 */
final class PrefixTree {

    private final int[][] paths;
    private final int[] depth;

    private PrefixTree(int[][] paths, int[] depth) {
        this.paths = paths;
        this.depth = depth;
    }

    static PrefixTree of(Trace trace) {
        List<TraceRecord> records = trace.records();
        Map<Edge, Integer> nodes = new HashMap<>();
        int[][] paths = new int[records.size()][];
        int[] depth = new int[16];
        int next = 0;
        for (int r = 0; r < paths.length; r++) {
            TraceRecord record = records.get(r);
            int[] path = new int[record.blocks()];
            int parent = -1;
            for (int i = 0; i < path.length; i++) {
                Edge edge = new Edge(parent, record.hashId(i));
                Integer node = nodes.get(edge);
                if (node == null) {
                    node = next++;
                    nodes.put(edge, node);
                    if (node >= depth.length) {
                        depth = java.util.Arrays.copyOf(depth, depth.length * 2);
                    }
                    depth[node] = i;
                }
                path[i] = node;
                parent = node;
            }
            paths[r] = path;
        }
        return new PrefixTree(paths, java.util.Arrays.copyOf(depth, next));
    }

    /** The number of distinct prefixes: what an infinite cache ends up holding. */
    int nodeCount() {
        return depth.length;
    }

    /** The nodes of request {@code r}'s blocks, root first; do not modify. */
    int[] path(int r) {
        return paths[r];
    }

    int requests() {
        return paths.length;
    }

    /** The block position of {@code node} (0 for a root). */
    int depth(int node) {
        return depth[node];
    }

    private record Edge(int parent, long id) {}
}
