package io.kvbm.sequence;

import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The tokens of one request, cut into blocks of {@link #blockSize()} tokens that are hashed as they complete (kvbm's
 * {@code BlockSequence}).
 *
 * <p>Only <em>complete</em> blocks are visible through {@link #blocks()} and {@link #allSequenceHashes()}; the tokens
 * after the last complete block wait in a partial block until enough tokens arrive. Block {@code i} has a
 * {@link SequenceHash} of {@link SequenceHash#position() position} {@code i}. The hashing is that of
 * {@link TokenBlockSequence}, which this class wraps: an optional salt seeds every block's content hash, so two
 * sequences with the same tokens and different salts share no hash.
 *
 * <p>A {@code BlockSequence} holds tokens only, never blocks: pair it with {@link ExternalBlockAssignments} or
 * {@link LogicalBlockAssignments} to give its blocks physical slots.
 *
 * <p><b>Not thread-safe</b>: a sequence belongs to one request and is driven by one thread at a time. The
 * {@link TokenBlock}s and hashes it hands out are immutable.
 */
public final class BlockSequence {

    private final TokenBlockSequence tokens;

    private BlockSequence(TokenBlockSequence tokens) {
        this.tokens = tokens;
    }

    /**
     * Cuts {@code tokens} into blocks without a salt (kvbm's {@code salt_hash: None}, content hashes seeded with 0).
     *
     * @param tokens the tokens; copied
     * @param blockSize the number of tokens per block, positive
     * @return a new sequence
     * @throws NullPointerException if {@code tokens} is null
     * @throws IllegalArgumentException if {@code blockSize} is not positive or the tokens pass the sequence limits
     */
    public static BlockSequence of(int[] tokens, int blockSize) {
        return of(tokens, blockSize, 0L);
    }

    /**
     * Cuts {@code tokens} into blocks whose content hashes are seeded with {@code salt}.
     *
     * @param tokens the tokens; copied
     * @param blockSize the number of tokens per block, positive
     * @param salt the seed of every block's content hash (a tenant or LoRA namespace, for example)
     * @return a new sequence
     * @throws NullPointerException if {@code tokens} is null
     * @throws IllegalArgumentException if {@code blockSize} is not positive or the tokens pass the sequence limits
     */
    public static BlockSequence of(int[] tokens, int blockSize, long salt) {
        return new BlockSequence(TokenBlockSequence.of(tokens, blockSize, salt));
    }

    /**
     * Returns the complete blocks, in position order; the partial tail is not included.
     *
     * @return an unmodifiable snapshot
     */
    public List<TokenBlock> blocks() {
        return tokens.blocks();
    }

    /**
     * Returns the number of complete blocks.
     *
     * @return the count, {@code totalTokens() / blockSize()}
     */
    public int blockCount() {
        return tokens.blockCount();
    }

    /**
     * Returns one complete block without copying the list.
     *
     * @param index the block's position, in {@code [0, blockCount())}
     * @return the block
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     */
    public TokenBlock block(int index) {
        return tokens.block(index);
    }

    /**
     * Returns the sequence hash of every complete block, in order: block {@code i}'s hash has position {@code i}.
     *
     * @return an unmodifiable snapshot
     */
    public List<SequenceHash> allSequenceHashes() {
        return tokens.sequenceHashes();
    }

    /**
     * Returns the number of tokens per block.
     *
     * @return the block size
     */
    public int blockSize() {
        return tokens.blockSize();
    }

    /**
     * Returns the number of tokens, the partial tail included.
     *
     * @return the token count
     */
    public int totalTokens() {
        return tokens.totalTokens();
    }

    /**
     * Returns the seed of the content hashes.
     *
     * @return the salt, 0 when the sequence was created without one
     */
    public long salt() {
        return tokens.salt();
    }

    /**
     * Returns the tokens after the last complete block.
     *
     * @return a new array of fewer than {@link #blockSize()} tokens
     */
    public int[] partialTokens() {
        return tokens.partialTokens();
    }

    /**
     * Appends tokens and reports which blocks they completed.
     *
     * <p>Example: a sequence of 4 tokens with block size 4 (one block) extended by 6 tokens completes block 1 and
     * returns {@code [1, 2)}; it then holds 10 tokens, 2 of them in the partial tail.
     *
     * @param newTokens the tokens to append; copied
     * @return the indices of the blocks completed by this call, or empty if none completed
     * @throws NullPointerException if {@code newTokens} is null
     * @throws BlockSequenceException of kind {@link BlockSequenceException.Kind#TOKEN_EXTENSION} if the sequence would
     *     pass its token or block limit; nothing is appended then
     */
    public Optional<IndexRange> extendTokens(int[] newTokens) {
        Objects.requireNonNull(newTokens, "newTokens");
        int before = tokens.blockCount();
        int completed;
        try {
            completed = tokens.extend(newTokens);
        } catch (IllegalArgumentException e) {
            throw BlockSequenceException.tokenExtension(e);
        }
        return completed == 0 ? Optional.empty() : Optional.of(IndexRange.of(before, before + completed));
    }

    /**
     * Appends one token and reports the block it completed.
     *
     * <p>Example: a sequence of 3 tokens with block size 4 appended one token completes block 0.
     *
     * @param token the token
     * @return the index of the block this token completed, or empty if the partial block is still not full
     * @throws BlockSequenceException of kind {@link BlockSequenceException.Kind#TOKEN_EXTENSION} if the sequence would
     *     pass its token or block limit; nothing is appended then
     */
    public OptionalInt appendToken(int token) {
        try {
            return tokens.append(token);
        } catch (IllegalArgumentException e) {
            throw BlockSequenceException.tokenExtension(e);
        }
    }

    /**
     * Returns a short description without the tokens.
     *
     * @return e.g. {@code "BlockSequence[blockSize=4, salt=0, blocks=2, totalTokens=9]"}
     */
    @Override
    public String toString() {
        return "BlockSequence[blockSize=" + blockSize() + ", salt=" + salt() + ", blocks=" + blockCount()
                + ", totalTokens=" + totalTokens() + "]";
    }
}
