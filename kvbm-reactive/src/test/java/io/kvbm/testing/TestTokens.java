package io.kvbm.testing;

import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.util.ArrayList;
import java.util.List;

/** Token and hash builders shared by tests and benchmarks. */
public final class TestTokens {

    /** The salt kvbm's property tests use. */
    public static final long SALT = 42;

    private TestTokens() {}

    /** The tokens {@code start, start+1, ..., start+count-1}. */
    public static int[] range(int start, int count) {
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = start + i;
        }
        return tokens;
    }

    /** The complete blocks of one sequence of {@code blocks * blockSize} tokens starting at {@code start}. */
    public static List<TokenBlock> blocks(int start, int blocks, int blockSize) {
        return TokenBlockSequence.of(range(start, blocks * blockSize), blockSize, SALT)
                .blocks();
    }

    /** The sequence hashes of one chain of {@code blocks} blocks (a request's prefix), distinct per {@code start}. */
    public static List<SequenceHash> chain(int start, int blocks) {
        return TokenBlockSequence.of(range(start, blocks * TestManagers.BLOCK_SIZE), TestManagers.BLOCK_SIZE, SALT)
                .sequenceHashes();
    }

    /** {@code count} unrelated root hashes (position 0), distinct per {@code seed}. */
    public static List<SequenceHash> roots(long seed, int count) {
        List<SequenceHash> hashes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            hashes.add(SequenceHash.root(seed * 1_000_003L + i * 0x9E3779B97F4A7C15L));
        }
        return hashes;
    }
}
