package io.kvbm.tokens;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import net.openhft.hashing.LongHashFunction;

/**
 * A token stream cut into complete blocks of {@link #blockSize()} tokens, each hashed as it completes, plus one
 * partial block holding the tokens that do not fill a block yet.
 *
 * <p>Tokens can be given all at once ({@link #of}), in chunks ({@link #extend}) or one by one ({@link #append}), and
 * taken back ({@link #truncate}, {@link #unwind}). However a token stream was built, the result is the same: equal
 * token streams with equal block size and salt have equal {@link #blocks()} and {@link #sequenceHashes()}. Truncation
 * drops whole blocks and re-opens the last kept block as the partial block when the cut falls inside it; extending
 * again recomputes exactly the hashes that were dropped.
 *
 * <p>Blocks are hashed as described in {@link TokenBlock}: content with the salt as seed, chaining with seed 0.
 * Sequences are limited to {@code SequenceHash.MAX_POSITION + 1} complete blocks and {@code Integer.MAX_VALUE} tokens;
 * an operation that would pass either limit fails without changing anything.
 *
 * <p><b>Not thread-safe</b>: a sequence belongs to one request and is driven by one thread at a time. The
 * {@link TokenBlock}s and {@link SequenceHash}es it hands out are immutable and may be shared freely.
 */
public final class TokenBlockSequence {

    private static final int MAX_BLOCKS = SequenceHash.MAX_POSITION + 1;

    private final int blockSize;
    private final long salt;
    private final LongHashFunction contentHash;
    private final ArrayList<TokenBlock> blocks = new ArrayList<>();
    // Grown on demand rather than sized to blockSize up front: a huge block size must not cost memory until used.
    private int[] partial;
    private int partialLength;

    private TokenBlockSequence(int blockSize, long salt) {
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be positive, got " + blockSize);
        }
        this.blockSize = blockSize;
        this.salt = salt;
        this.contentHash = Xxh3.seeded(salt);
        this.partial = new int[Math.min(blockSize, 16)];
    }

    /**
     * Cuts {@code tokens} into blocks.
     *
     * @param tokens the token stream; copied, the caller keeps ownership
     * @param blockSize the number of tokens per complete block, positive
     * @param salt the seed of every block's content hash (0 when the request has no salt)
     * @return a new sequence holding {@code tokens.length / blockSize} complete blocks and the remaining tokens as
     *     its partial block
     * @throws NullPointerException if {@code tokens} is null
     * @throws IllegalArgumentException if {@code blockSize} is not positive, or {@code tokens} needs more blocks
     *     than a {@link SequenceHash} can number
     */
    public static TokenBlockSequence of(int[] tokens, int blockSize, long salt) {
        Objects.requireNonNull(tokens, "tokens");
        TokenBlockSequence sequence = new TokenBlockSequence(blockSize, salt);
        sequence.extend(tokens);
        return sequence;
    }

    /**
     * Returns a sequence without tokens.
     *
     * @param blockSize the number of tokens per complete block, positive
     * @param salt the seed of every block's content hash (0 when the request has no salt)
     * @return a new, empty sequence
     * @throws IllegalArgumentException if {@code blockSize} is not positive
     */
    public static TokenBlockSequence empty(int blockSize, long salt) {
        return new TokenBlockSequence(blockSize, salt);
    }

    /**
     * Returns the complete blocks, in position order.
     *
     * @return an unmodifiable snapshot; later changes to this sequence do not show in it
     */
    public List<TokenBlock> blocks() {
        return List.copyOf(blocks);
    }

    /**
     * Returns the number of complete blocks, without copying them as {@link #blocks()} does.
     *
     * @return the number of complete blocks
     */
    public int blockCount() {
        return blocks.size();
    }

    /**
     * Returns one complete block without copying the list.
     *
     * @param index the block's position, in {@code [0, blockCount())}
     * @return the block at {@code index}
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     */
    public TokenBlock block(int index) {
        return blocks.get(Objects.checkIndex(index, blocks.size()));
    }

    /**
     * Returns the sequence hashes of the complete blocks, in position order: the keys to look the prefix up in a
     * block manager with.
     *
     * @return an unmodifiable snapshot
     */
    public List<SequenceHash> sequenceHashes() {
        SequenceHash[] hashes = new SequenceHash[blocks.size()];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = blocks.get(i).sequenceHash();
        }
        return List.of(hashes);
    }

    /**
     * Returns the tokens after the last complete block.
     *
     * @return a new array of fewer than {@link #blockSize()} tokens, possibly empty
     */
    public int[] partialTokens() {
        return Arrays.copyOf(partial, partialLength);
    }

    /**
     * Returns the number of tokens in the sequence.
     *
     * @return {@code blockCount() * blockSize() + partialTokens().length}
     */
    public int totalTokens() {
        return blocks.size() * blockSize + partialLength;
    }

    /**
     * Returns the number of tokens per complete block.
     *
     * @return the block size given at creation
     */
    public int blockSize() {
        return blockSize;
    }

    /**
     * Returns the seed of the blocks' content hashes.
     *
     * @return the salt given at creation
     */
    public long salt() {
        return salt;
    }

    /**
     * Returns the complete block with the highest position.
     *
     * @return the last complete block, or empty when no block is complete
     */
    public Optional<TokenBlock> lastCompleteBlock() {
        return blocks.isEmpty() ? Optional.empty() : Optional.of(blocks.get(blocks.size() - 1));
    }

    /**
     * Appends tokens, completing and hashing every block they fill.
     *
     * <p>The blocks completed by this call are the last ones: with {@code n} the returned count, they are at indices
     * {@code [blockCount() - n, blockCount())} right after the call.
     *
     * @param tokens the tokens to append; copied, the caller keeps ownership
     * @return the number of blocks completed by this call, 0 or more
     * @throws NullPointerException if {@code tokens} is null
     * @throws IllegalArgumentException if the sequence would pass its block or token limit; nothing is appended then
     */
    public int extend(int[] tokens) {
        Objects.requireNonNull(tokens, "tokens");
        checkCapacity(totalTokens(), tokens.length, blockSize);
        int before = blocks.size();
        int length = tokens.length;
        int next = 0;
        if (partialLength > 0) {
            int take = Math.min(blockSize - partialLength, length);
            appendToPartial(tokens, 0, take);
            next = take;
        }
        // Full blocks straight from the input: the block's own copy is the only copy made.
        while (length - next >= blockSize) {
            commit(Arrays.copyOfRange(tokens, next, next + blockSize));
            next += blockSize;
        }
        appendToPartial(tokens, next, length - next);
        return blocks.size() - before;
    }

    /**
     * Appends one token.
     *
     * @param token the token
     * @return the index of the block this token completed, or empty if the partial block is still not full
     * @throws IllegalArgumentException if the sequence would pass its block or token limit; nothing is appended then
     */
    public OptionalInt append(int token) {
        checkCapacity(totalTokens(), 1, blockSize);
        int before = blocks.size();
        ensurePartialCapacity(partialLength + 1);
        partial[partialLength++] = token;
        completePartialIfFull();
        return blocks.size() > before ? OptionalInt.of(before) : OptionalInt.empty();
    }

    /**
     * Keeps the first {@code totalTokens} tokens and drops the rest. Complete blocks past the cut are removed; the
     * block the cut falls inside, if any, is removed from {@link #blocks()} and its kept tokens become the partial
     * block.
     *
     * @param totalTokens the number of tokens to keep, in {@code [0, totalTokens()]}
     * @throws IllegalArgumentException if {@code totalTokens} is out of range; nothing changes then
     */
    public void truncate(int totalTokens) {
        int total = totalTokens();
        if (totalTokens < 0 || totalTokens > total) {
            throw new IllegalArgumentException("totalTokens must be in [0, " + total + "], got " + totalTokens);
        }
        int keptBlocks = totalTokens / blockSize;
        int remainder = totalTokens % blockSize;
        if (keptBlocks < blocks.size()) {
            int[] reopened = blocks.get(keptBlocks).tokensUnsafe();
            ensurePartialCapacity(remainder);
            System.arraycopy(reopened, 0, partial, 0, remainder);
            blocks.subList(keptBlocks, blocks.size()).clear();
        }
        // Otherwise the cut falls inside the partial block, which holds at least remainder tokens.
        partialLength = remainder;
    }

    /**
     * Drops the last {@code tokenCount} tokens: {@code truncate(totalTokens() - tokenCount)}.
     *
     * @param tokenCount the number of tokens to drop, in {@code [0, totalTokens()]}
     * @throws IllegalArgumentException if {@code tokenCount} is out of range; nothing changes then
     */
    public void unwind(int tokenCount) {
        int total = totalTokens();
        if (tokenCount < 0 || tokenCount > total) {
            throw new IllegalArgumentException("tokenCount must be in [0, " + total + "], got " + tokenCount);
        }
        truncate(total - tokenCount);
    }

    /**
     * Returns a short description without the tokens.
     *
     * @return e.g. {@code "TokenBlockSequence[blockSize=4, salt=42, blocks=2, partialTokens=1, totalTokens=9]"}
     */
    @Override
    public String toString() {
        return "TokenBlockSequence[blockSize=" + blockSize + ", salt=" + salt + ", blocks=" + blocks.size()
                + ", partialTokens=" + partialLength + ", totalTokens=" + totalTokens() + "]";
    }

    /**
     * Fails when adding {@code addedTokens} to {@code currentTokens} would pass the token limit or need more
     * complete blocks than sequence hashes can number. Checked before any change, so a failed call changes nothing.
     */
    static void checkCapacity(long currentTokens, long addedTokens, int blockSize) {
        long after = currentTokens + addedTokens;
        if (after > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a TokenBlockSequence holds at most " + Integer.MAX_VALUE
                    + " tokens, got " + currentTokens + " + " + addedTokens);
        }
        long blocksAfter = after / blockSize;
        if (blocksAfter > MAX_BLOCKS) {
            throw new IllegalArgumentException("a TokenBlockSequence holds at most " + MAX_BLOCKS
                    + " complete blocks (positions [0, " + SequenceHash.MAX_POSITION + "]), " + after
                    + " tokens with blockSize " + blockSize + " make " + blocksAfter);
        }
    }

    private void appendToPartial(int[] source, int from, int count) {
        ensurePartialCapacity(partialLength + count);
        System.arraycopy(source, from, partial, partialLength, count);
        partialLength += count;
        completePartialIfFull();
    }

    private void completePartialIfFull() {
        if (partialLength == blockSize) {
            commit(Arrays.copyOf(partial, blockSize));
            partialLength = 0;
        }
    }

    private void commit(int[] ownedTokens) {
        TokenBlock parent = blocks.isEmpty() ? null : blocks.get(blocks.size() - 1);
        blocks.add(TokenBlock.create(ownedTokens, salt, contentHash, parent));
    }

    private void ensurePartialCapacity(int needed) {
        if (needed > partial.length) {
            // Doubling keeps appends amortized O(1); never beyond blockSize, the most a partial block holds.
            int grown = (int) Math.min(blockSize, Math.max(needed, 2L * partial.length));
            partial = Arrays.copyOf(partial, grown);
        }
    }
}
