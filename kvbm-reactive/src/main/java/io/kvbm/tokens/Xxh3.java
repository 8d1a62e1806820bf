package io.kvbm.tokens;

import java.nio.ByteOrder;
import java.util.Objects;
import net.openhft.hashing.LongHashFunction;

/**
 * XXH3-64 as kvbm uses it: token blocks hashed as little-endian {@code u32} bytes with the salt as seed, and the
 * sequence-hash chain step hashed as two little-endian {@code u64} with seed 0.
 *
 * <p>The algorithm itself comes from {@code net.openhft:zero-allocation-hashing} ({@link LongHashFunction#xx3(long)}),
 * which matches the reference {@code XXH3_64bits_withSeed}. That library hashes primitive arrays in the
 * <em>native</em> byte order, so the array fast paths below are taken only on little-endian platforms; elsewhere the
 * bytes are laid out explicitly, which costs an allocation but keeps hashes identical across platforms (they are
 * exchanged with Dynamo workers and routers, so they must never depend on the machine).
 *
 * <p>Stateless and thread-safe.
 */
final class Xxh3 {

    /** The chain step and the default salt both use seed 0; building a seeded function precomputes a secret. */
    private static final LongHashFunction SEED_ZERO = LongHashFunction.xx3(0L);

    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /**
     * One scratch pair per thread: the chain step runs once per block (millions of times in the simulator) and
     * openhft needs an array to read from. The array never leaves {@link #chain}, which does not re-enter itself.
     */
    private static final ThreadLocal<long[]> CHAIN_SCRATCH = ThreadLocal.withInitial(() -> new long[2]);

    private Xxh3() {}

    /**
     * Returns the XXH3-64 function for {@code seed}. Callers that hash many blocks with one salt keep the result:
     * creating a seeded function derives a 192-byte secret.
     */
    static LongHashFunction seeded(long seed) {
        return seed == 0L ? SEED_ZERO : LongHashFunction.xx3(seed);
    }

    /** XXH3-64 of {@code tokens[from, to)} as little-endian {@code u32} bytes, seeded with {@code seed}. */
    static long hashTokens(int[] tokens, int from, int to, long seed) {
        return hashTokens(seeded(seed), tokens, from, to);
    }

    /** Same as {@link #hashTokens(int[], int, int, long)} with a function obtained from {@link #seeded(long)}. */
    static long hashTokens(LongHashFunction function, int[] tokens, int from, int to) {
        Objects.checkFromToIndex(from, to, tokens.length);
        if (NATIVE_LITTLE_ENDIAN) {
            return function.hashInts(tokens, from, to - from);
        }
        return hashTokensPortable(function, tokens, from, to);
    }

    /** The platform-independent path; package-private so that tests prove it agrees with the fast path. */
    static long hashTokensPortable(LongHashFunction function, int[] tokens, int from, int to) {
        Objects.checkFromToIndex(from, to, tokens.length);
        byte[] bytes = new byte[(to - from) * Integer.BYTES];
        for (int i = from, b = 0; i < to; i++, b += Integer.BYTES) {
            int t = tokens[i];
            bytes[b] = (byte) t;
            bytes[b + 1] = (byte) (t >>> 8);
            bytes[b + 2] = (byte) (t >>> 16);
            bytes[b + 3] = (byte) (t >>> 24);
        }
        return function.hashBytes(bytes);
    }

    /**
     * The chain step of kvbm's sequence hash: XXH3-64 with seed 0 of {@code LE_u64(parentSequenceHash) ‖
     * LE_u64(blockHash)}.
     */
    static long chain(long parentSequenceHash, long blockHash) {
        long[] pair = CHAIN_SCRATCH.get();
        if (NATIVE_LITTLE_ENDIAN) {
            pair[0] = parentSequenceHash;
            pair[1] = blockHash;
        } else {
            // Native order is big-endian here: pre-swapping makes the in-memory bytes little-endian.
            pair[0] = Long.reverseBytes(parentSequenceHash);
            pair[1] = Long.reverseBytes(blockHash);
        }
        return SEED_ZERO.hashLongs(pair);
    }

    /** The chain step through explicit bytes; package-private so that tests prove it agrees with {@link #chain}. */
    static long chainPortable(long parentSequenceHash, long blockHash) {
        byte[] bytes = new byte[2 * Long.BYTES];
        for (int i = 0; i < Long.BYTES; i++) {
            bytes[i] = (byte) (parentSequenceHash >>> (8 * i));
            bytes[Long.BYTES + i] = (byte) (blockHash >>> (8 * i));
        }
        return SEED_ZERO.hashBytes(bytes);
    }
}
