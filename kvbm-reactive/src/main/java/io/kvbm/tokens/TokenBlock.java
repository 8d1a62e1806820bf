package io.kvbm.tokens;

import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalLong;
import net.openhft.hashing.LongHashFunction;
import org.jspecify.annotations.Nullable;

/**
 * One complete block of tokens and its hashes, as cut by a {@link TokenBlockSequence}.
 *
 * <p>The hashes follow the newest kvbm rules:
 *
 * <ul>
 *   <li>{@link #blockHash()}: XXH3-64 of the tokens, each a {@code u32} written little-endian, seeded with the
 *       {@link #salt()}. It depends on the content only, not on the prefix.
 *   <li>{@link #sequenceHash()}: at position 0 its current hash is the block hash; at position {@code p > 0} it is
 *       {@code XXH3_64(LE_u64(parent current hash) ‖ LE_u64(block hash), seed 0)}. The salt enters only through the
 *       block hashes and propagates down the chain, so two requests with different salts share no sequence hash.
 * </ul>
 *
 * <p>Immutable and thread-safe: the token array is copied in and out.
 */
public final class TokenBlock {

    private final int[] tokens;
    private final int position;
    private final long salt;
    private final long blockHash;
    private final SequenceHash sequenceHash;
    private final long parentSequenceHash;

    private TokenBlock(
            int[] tokens, int position, long salt, long blockHash, SequenceHash sequenceHash, long parentSequenceHash) {
        this.tokens = tokens;
        this.position = position;
        this.salt = salt;
        this.blockHash = blockHash;
        this.sequenceHash = sequenceHash;
        this.parentSequenceHash = parentSequenceHash;
    }

    /**
     * Hashes {@code ownedTokens} (which the block takes over without copying) as the child of {@code parent}, or as
     * the first block when {@code parent} is null.
     */
    static TokenBlock create(int[] ownedTokens, long salt, LongHashFunction contentHash, @Nullable TokenBlock parent) {
        long blockHash = Xxh3.hashTokens(contentHash, ownedTokens, 0, ownedTokens.length);
        if (parent == null) {
            return new TokenBlock(ownedTokens, 0, salt, blockHash, SequenceHash.root(blockHash), 0L);
        }
        SequenceHash parentHash = parent.sequenceHash;
        return new TokenBlock(
                ownedTokens,
                parent.position + 1,
                salt,
                blockHash,
                parentHash.extend(blockHash),
                parentHash.currentSequenceHash());
    }

    /**
     * Returns the block's tokens.
     *
     * @return a new array holding a copy of the tokens
     */
    public int[] tokens() {
        return tokens.clone();
    }

    /** The tokens without a copy, for this package's code that only reads them. */
    int[] tokensUnsafe() {
        return tokens;
    }

    /**
     * Returns the number of tokens in the block, the block size of the sequence that cut it.
     *
     * @return a positive count
     */
    public int size() {
        return tokens.length;
    }

    /**
     * Returns one token.
     *
     * @param index the 0-based index within the block
     * @return the token at {@code index}
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    public int token(int index) {
        return tokens[Objects.checkIndex(index, tokens.length)];
    }

    /**
     * Returns the block's 0-based index in its sequence.
     *
     * @return the position, equal to {@code sequenceHash().position()}
     */
    public int position() {
        return position;
    }

    /**
     * Returns the salt the block hash was seeded with.
     *
     * @return the salt of the sequence
     */
    public long salt() {
        return salt;
    }

    /**
     * Returns the content hash: XXH3-64 of the tokens as little-endian {@code u32} bytes, seeded with the salt.
     *
     * @return the block hash, independent of the prefix
     */
    public long blockHash() {
        return blockHash;
    }

    /**
     * Returns the positional lineage hash that identifies this block together with its whole prefix.
     *
     * @return the sequence hash
     */
    public SequenceHash sequenceHash() {
        return sequenceHash;
    }

    /**
     * Returns the parent block's full 64-bit chained hash ({@code sequenceHash().parentHashFragment()} holds only its
     * low bits).
     *
     * @return the parent's current sequence hash, or empty for the block at position 0
     */
    public OptionalLong parentSequenceHash() {
        return position == 0 ? OptionalLong.empty() : OptionalLong.of(parentSequenceHash);
    }

    /**
     * Two blocks are equal when they hold the same tokens at the same position with the same salt and the same
     * parent chain.
     *
     * @param o the object to compare with
     * @return whether {@code o} is an equal {@code TokenBlock}
     */
    @Override
    public boolean equals(@Nullable Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TokenBlock)) {
            return false;
        }
        TokenBlock other = (TokenBlock) o;
        return position == other.position
                && salt == other.salt
                && blockHash == other.blockHash
                && parentSequenceHash == other.parentSequenceHash
                && sequenceHash.equals(other.sequenceHash)
                && Arrays.equals(tokens, other.tokens);
    }

    /**
     * Returns the hash code of the {@link #sequenceHash()}, which equal blocks share.
     *
     * @return a hash code consistent with {@link #equals(Object)}
     */
    @Override
    public int hashCode() {
        return sequenceHash.hashCode();
    }

    /**
     * Returns a short description without the tokens, which can be many.
     *
     * @return e.g. {@code "TokenBlock[position=1, size=4, salt=42, blockHash=0x35C7DA70A8C7504F,
     *     sequenceHash=1:5DoCFWzkMT2:13HXQbvbzWn]"}
     */
    @Override
    public String toString() {
        return "TokenBlock[position=" + position + ", size=" + tokens.length + ", salt=" + salt + ", blockHash="
                + String.format("0x%016X", blockHash) + ", sequenceHash=" + sequenceHash + "]";
    }
}
