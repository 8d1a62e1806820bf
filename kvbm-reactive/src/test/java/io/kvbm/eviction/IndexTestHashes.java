package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;

/** Distinct, deterministic hashes for the index tests. */
final class IndexTestHashes {

    private IndexTestHashes() {}

    /** The i-th test hash; distinct for distinct i. */
    static SequenceHash h(int i) {
        return SequenceHash.root(0x5DEECE66DL + i * 0x9E3779B97F4A7C15L);
    }

    /** The hashes h(0) .. h(n-1). */
    static List<SequenceHash> hashes(int n) {
        List<SequenceHash> hashes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            hashes.add(h(i));
        }
        return hashes;
    }

    /** Evicts until empty and returns the victims' block ids in eviction order. */
    static List<Integer> drain(InactiveIndex index) {
        List<Integer> ids = new ArrayList<>();
        for (int id = index.evict(); id != InactiveIndex.NO_BLOCK; id = index.evict()) {
            ids.add(id);
        }
        return ids;
    }
}
