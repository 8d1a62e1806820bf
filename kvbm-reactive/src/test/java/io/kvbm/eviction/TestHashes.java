package io.kvbm.eviction;

import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;

/**
 * Hash builders for the eviction tests: unrelated roots, chains with real lineage (each hash
 * {@link SequenceHash#extend extends} the previous one, so lineage indices see a true prefix forest), and impostors
 * that share a cached hash's structural key without being that hash.
 */
final class TestHashes {

    private TestHashes() {}

    /** A chain of {@code length} hashes from a fresh root; distinct chains for distinct seeds. */
    static List<SequenceHash> chain(long seed, int length) {
        return chainFrom(SequenceHash.root(mix(seed)), seed, length);
    }

    /** {@code first} and its {@code length - 1} descendants, one per position. */
    static List<SequenceHash> chainFrom(SequenceHash first, long seed, int length) {
        List<SequenceHash> chain = new ArrayList<>(length);
        SequenceHash h = first;
        chain.add(h);
        for (int i = 1; i < length; i++) {
            h = h.extend(mix(seed * 31 + i));
            chain.add(h);
        }
        return chain;
    }

    /** A chain of {@code length} hashes starting at {@code position}, e.g. just before a mode boundary. */
    static List<SequenceHash> chainAt(int position, long seed, int length) {
        return chainFrom(SequenceHash.of(position, mix(seed), mix(~seed)), seed, length);
    }

    /** {@code count} unrelated roots; distinct families for distinct seeds. */
    static List<SequenceHash> roots(long seed, int count) {
        List<SequenceHash> roots = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            roots.add(SequenceHash.root(mix(seed * 1_000_003L + i)));
        }
        return roots;
    }

    /** The {@code i}-th unrelated root of seed 0, {@code roots(0, n).get(i)}: short names for order tests. */
    static SequenceHash root(int i) {
        return SequenceHash.root(mix(i));
    }

    /**
     * Same position and current hash as {@code hash} but another parent fragment (its lowest bit flipped): the same
     * structural key, a different block. {@code hash} must not be a root, whose fragment is always zero.
     */
    static SequenceHash otherParent(SequenceHash hash) {
        return SequenceHash.fromBits(hash.highBits(), hash.lowBits() ^ 1);
    }

    /**
     * Same position and parent fragment as {@code hash}, current hash differing only in its top bit, above every
     * fragment width: the same structural key, a different block. Works for roots too.
     */
    static SequenceHash otherHighBits(SequenceHash hash) {
        return SequenceHash.of(hash.position(), hash.currentSequenceHash() ^ Long.MIN_VALUE, hash.parentHashFragment());
    }

    /** murmur3's fmix64: distinct, well-spread block hashes from small seeds. */
    static long mix(long x) {
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return x ^ (x >>> 33);
    }
}
