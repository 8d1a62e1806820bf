package io.kvbm.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TokenBlockSequenceTest {

    private static final int[] BLOCK_SIZES = {1, 2, 3, 4, 7, 16, 32};

    static LongStream seeds() {
        // Fixed seeds, shown in each test's display name: a failure is replayed by running that seed alone.
        return LongStream.range(0, 50).map(i -> 0x5EED_0000L + 7919L * i);
    }

    private static int[] range(int from, int to) {
        return IntStream.range(from, to).toArray();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Properties

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void anyBuildOrder_randomOperations_matchesOneShotOfAndReferenceModel(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int blockSize = BLOCK_SIZES[random.nextInt(BLOCK_SIZES.length)];
        long salt = random.nextBoolean() ? 0L : random.nextLong();
        // A small vocabulary now and then, so that repeated blocks at different positions are exercised too.
        int vocabulary = random.nextBoolean() ? 3 : Integer.MAX_VALUE;
        int[] stream = random.ints(random.nextInt(400), 0, vocabulary).toArray();

        int cursor = random.nextInt(stream.length + 1);
        TokenBlockSequence built = random.nextBoolean()
                ? TokenBlockSequence.of(Arrays.copyOf(stream, cursor), blockSize, salt)
                : TokenBlockSequence.empty(blockSize, salt);
        if (built.totalTokens() == 0) {
            cursor = 0;
        }
        assertMatchesModel(built, stream, cursor, blockSize, salt);

        for (int step = 0; step < 200; step++) {
            int blocksBefore = built.blockCount();
            switch (random.nextInt(5)) {
                case 0:
                case 1: {
                    int chunk = random.nextInt(Math.min(stream.length - cursor, 3 * blockSize + 2) + 1);
                    int completed = built.extend(Arrays.copyOfRange(stream, cursor, cursor + chunk));
                    cursor += chunk;
                    assertThat(completed).isEqualTo(cursor / blockSize - blocksBefore);
                    break;
                }
                case 2: {
                    if (cursor < stream.length) {
                        OptionalInt completed = built.append(stream[cursor++]);
                        assertThat(completed)
                                .isEqualTo(
                                        cursor % blockSize == 0
                                                ? OptionalInt.of(cursor / blockSize - 1)
                                                : OptionalInt.empty());
                    }
                    break;
                }
                case 3: {
                    cursor = random.nextInt(cursor + 1);
                    built.truncate(cursor);
                    break;
                }
                default: {
                    int count = random.nextInt(Math.min(cursor, 2 * blockSize) + 1);
                    built.unwind(count);
                    cursor -= count;
                    break;
                }
            }
            assertMatchesModel(built, stream, cursor, blockSize, salt);
        }

        built.extend(Arrays.copyOfRange(stream, cursor, stream.length));
        assertMatchesModel(built, stream, stream.length, blockSize, salt);
        TokenBlockSequence oneShot = TokenBlockSequence.of(stream, blockSize, salt);
        assertThat(built.blocks()).isEqualTo(oneShot.blocks());
        assertThat(built.sequenceHashes()).isEqualTo(oneShot.sequenceHashes());
    }

    /**
     * Checks {@code actual} against the first {@code length} tokens of {@code stream}, hashed block by block with the
     * byte-explicit hash paths: a model that shares no code with the sequence's bookkeeping.
     */
    private static void assertMatchesModel(
            TokenBlockSequence actual, int[] stream, int length, int blockSize, long salt) {
        LongHashFunction content = Xxh3.seeded(salt);
        int blockCount = length / blockSize;
        List<TokenBlock> blocks = actual.blocks();
        assertThat(blocks).hasSize(blockCount);
        assertThat(actual.blockCount()).isEqualTo(blockCount);
        assertThat(actual.totalTokens()).isEqualTo(length);
        assertThat(actual.partialTokens()).containsExactly(Arrays.copyOfRange(stream, blockCount * blockSize, length));
        long parent = 0;
        for (int i = 0; i < blockCount; i++) {
            TokenBlock block = blocks.get(i);
            long blockHash = Xxh3.hashTokensPortable(content, stream, i * blockSize, (i + 1) * blockSize);
            long current = i == 0 ? blockHash : Xxh3.chainPortable(parent, blockHash);
            assertThat(block.tokens()).containsExactly(Arrays.copyOfRange(stream, i * blockSize, (i + 1) * blockSize));
            assertThat(block.position()).isEqualTo(i);
            assertThat(block.blockHash()).isEqualTo(blockHash);
            assertThat(block.sequenceHash()).isEqualTo(SequenceHash.of(i, current, parent));
            assertThat(actual.sequenceHashes().get(i)).isEqualTo(block.sequenceHash());
            parent = current;
        }
        assertThat(actual.lastCompleteBlock())
                .isEqualTo(blockCount == 0 ? Optional.empty() : Optional.of(blocks.get(blockCount - 1)));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void changedToken_randomIndex_changesThatBlockAndEveryLaterSequenceHashOnly(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int blockSize = BLOCK_SIZES[random.nextInt(BLOCK_SIZES.length)];
        int[] tokens = random.ints(blockSize * (2 + random.nextInt(20))).toArray();
        int changed = random.nextInt(tokens.length);
        int[] other = tokens.clone();
        other[changed] ^= 1 + random.nextInt(Integer.MAX_VALUE);

        List<TokenBlock> a = TokenBlockSequence.of(tokens, blockSize, 42).blocks();
        List<TokenBlock> b = TokenBlockSequence.of(other, blockSize, 42).blocks();

        int changedBlock = changed / blockSize;
        for (int i = 0; i < a.size(); i++) {
            if (i < changedBlock) {
                assertThat(b.get(i)).as("block %d before the change", i).isEqualTo(a.get(i));
            } else {
                assertThat(b.get(i).sequenceHash())
                        .as("block %d", i)
                        .isNotEqualTo(a.get(i).sequenceHash());
                // Content hashes do not depend on the prefix: only the changed block's differs.
                assertThat(b.get(i).blockHash() == a.get(i).blockHash()).isEqualTo(i != changedBlock);
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void salt_differentSalt_changesEveryBlockAndSequenceHash(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int blockSize = BLOCK_SIZES[random.nextInt(BLOCK_SIZES.length)];
        int[] tokens = random.ints(blockSize * (1 + random.nextInt(20)), 0, 5).toArray();
        long salt = random.nextLong();

        List<TokenBlock> a = TokenBlockSequence.of(tokens, blockSize, salt).blocks();
        List<TokenBlock> b = TokenBlockSequence.of(tokens, blockSize, salt + 1).blocks();

        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).blockHash()).isNotEqualTo(a.get(i).blockHash());
            assertThat(b.get(i).sequenceHash()).isNotEqualTo(a.get(i).sequenceHash());
            assertThat(b.get(i).tokens()).isEqualTo(a.get(i).tokens());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Examples

    @Test
    void of_nineTokensBlockSize4_twoBlocksAndOnePartialToken() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 9), 4, 42);

        assertThat(sequence.blockCount()).isEqualTo(2);
        assertThat(sequence.blocks()).extracting(TokenBlock::position).containsExactly(0, 1);
        assertThat(sequence.block(1).tokens()).containsExactly(4, 5, 6, 7);
        assertThat(sequence.partialTokens()).containsExactly(8);
        assertThat(sequence.totalTokens()).isEqualTo(9);
        assertThat(sequence.blockSize()).isEqualTo(4);
        assertThat(sequence.salt()).isEqualTo(42);
        assertThat(sequence.lastCompleteBlock()).contains(sequence.block(1));
        assertThat(sequence.sequenceHashes())
                .extracting(SequenceHash::toString)
                .containsExactly("0:PQpzX4wppYi", "1:5DoCFWzkMT2:13HXQbvbzWn");
    }

    @Test
    void empty_noTokens_hasNoBlocks() {
        TokenBlockSequence sequence = TokenBlockSequence.empty(4, 0);

        assertThat(sequence.blocks()).isEmpty();
        assertThat(sequence.sequenceHashes()).isEmpty();
        assertThat(sequence.partialTokens()).isEmpty();
        assertThat(sequence.totalTokens()).isZero();
        assertThat(sequence.lastCompleteBlock()).isEmpty();
    }

    @Test
    void extend_fillsPartialThenWholeBlocks_returnsCountOfBlocksCompletedAtTheEnd() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 3), 4, 0);

        int completed = sequence.extend(range(3, 14));

        assertThat(completed).isEqualTo(3);
        assertThat(sequence.blockCount()).isEqualTo(3);
        assertThat(sequence.partialTokens()).containsExactly(12, 13);
        assertThat(sequence.extend(range(14, 15))).isZero();
        assertThat(sequence.extend(new int[0])).isZero();
        assertThat(sequence.totalTokens()).isEqualTo(15);
    }

    @Test
    void append_tokenCompletesBlock_returnsItsIndex() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 6), 4, 0);

        assertThat(sequence.append(6)).isEmpty();
        assertThat(sequence.append(7)).hasValue(1);
        assertThat(sequence.append(8)).isEmpty();
        assertThat(sequence.blocks())
                .isEqualTo(TokenBlockSequence.of(range(0, 8), 4, 0).blocks());
    }

    @Test
    void append_blockSizeOne_everyTokenCompletesABlock() {
        TokenBlockSequence sequence = TokenBlockSequence.empty(1, 0);

        assertThat(sequence.append(10)).hasValue(0);
        assertThat(sequence.append(11)).hasValue(1);
        assertThat(sequence.partialTokens()).isEmpty();
    }

    @Test
    void truncate_insideABlock_removesThatBlockAndKeepsItsPrefixAsPartial() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 14), 4, 0);

        sequence.truncate(6);

        assertThat(sequence.blockCount()).isEqualTo(1);
        assertThat(sequence.partialTokens()).containsExactly(4, 5);
        assertThat(sequence.totalTokens()).isEqualTo(6);
    }

    @Test
    void truncate_atBlockBoundary_keepsWholeBlocksAndEmptiesPartial() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 14), 4, 0);

        sequence.truncate(8);

        assertThat(sequence.blocks())
                .isEqualTo(TokenBlockSequence.of(range(0, 8), 4, 0).blocks());
        assertThat(sequence.partialTokens()).isEmpty();
    }

    @Test
    void truncate_insidePartial_shortensPartialOnly() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 11), 4, 0);

        sequence.truncate(9);

        assertThat(sequence.blockCount()).isEqualTo(2);
        assertThat(sequence.partialTokens()).containsExactly(8);
    }

    @Test
    void truncate_toZeroThenReExtend_rebuildsSameHashes() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 14), 4, 5);
        List<SequenceHash> before = sequence.sequenceHashes();

        sequence.truncate(0);
        assertThat(sequence.blocks()).isEmpty();
        assertThat(sequence.totalTokens()).isZero();
        sequence.extend(range(0, 14));

        assertThat(sequence.sequenceHashes()).isEqualTo(before);
    }

    @Test
    void truncate_toCurrentLength_changesNothing() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 10), 4, 0);

        sequence.truncate(10);

        assertThat(sequence.blockCount()).isEqualTo(2);
        assertThat(sequence.partialTokens()).containsExactly(8, 9);
    }

    @Test
    void unwind_dropsLastTokens() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 10), 4, 0);

        sequence.unwind(3);

        assertThat(sequence.totalTokens()).isEqualTo(7);
        assertThat(sequence.blockCount()).isEqualTo(1);
        assertThat(sequence.partialTokens()).containsExactly(4, 5, 6);
        sequence.unwind(0);
        assertThat(sequence.totalTokens()).isEqualTo(7);
        sequence.unwind(7);
        assertThat(sequence.totalTokens()).isZero();
    }

    @Test
    void blocks_snapshot_isUnmodifiableAndUnaffectedByLaterChanges() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 8), 4, 0);
        List<TokenBlock> blocks = sequence.blocks();
        List<SequenceHash> hashes = sequence.sequenceHashes();

        sequence.truncate(0);

        assertThat(blocks).hasSize(2);
        assertThat(hashes).hasSize(2);
        assertThatThrownBy(() -> blocks.remove(0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> hashes.remove(0)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void partialTokens_callerMutatesCopy_sequenceUnchanged() {
        int[] input = range(0, 6);
        TokenBlockSequence sequence = TokenBlockSequence.of(input, 4, 0);
        input[5] = 100;
        sequence.partialTokens()[0] = 100;

        assertThat(sequence.partialTokens()).containsExactly(4, 5);
    }

    @Test
    void of_hugeBlockSize_allocatesOnlyWhatTheTokensNeed() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 100), Integer.MAX_VALUE, 0);

        assertThat(sequence.blocks()).isEmpty();
        assertThat(sequence.partialTokens()).hasSize(100);
        assertThat(sequence.append(100)).isEmpty();
        sequence.truncate(3);
        assertThat(sequence.partialTokens()).containsExactly(0, 1, 2);
    }

    @Test
    void toString_sequence_namesSizes() {
        assertThat(TokenBlockSequence.of(range(0, 9), 4, 42))
                .hasToString("TokenBlockSequence[blockSize=4, salt=42, blocks=2, partialTokens=1, totalTokens=9]");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Bad input

    @ParameterizedTest(name = "blockSize {0}")
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void of_nonPositiveBlockSize_throwsNamingValue(int blockSize) {
        assertThatThrownBy(() -> TokenBlockSequence.of(new int[0], blockSize, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("blockSize must be positive, got " + blockSize);
        assertThatThrownBy(() -> TokenBlockSequence.empty(blockSize, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("blockSize must be positive, got " + blockSize);
    }

    @Test
    void of_nullTokens_throwsNullPointerNamingArgument() {
        assertThatThrownBy(() -> TokenBlockSequence.of(null, 4, 0))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("tokens");
    }

    @Test
    void extend_nullTokens_throwsNullPointerAndChangesNothing() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 5), 4, 0);

        assertThatThrownBy(() -> sequence.extend(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("tokens");
        assertThat(sequence.totalTokens()).isEqualTo(5);
    }

    @ParameterizedTest(name = "truncate({0})")
    @ValueSource(ints = {-1, 10, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void truncate_outOfRange_throwsNamingValueAndBoundAndChangesNothing(int totalTokens) {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 9), 4, 0);

        assertThatThrownBy(() -> sequence.truncate(totalTokens))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("totalTokens must be in [0, 9], got " + totalTokens);
        assertThat(sequence.blocks())
                .isEqualTo(TokenBlockSequence.of(range(0, 9), 4, 0).blocks());
        assertThat(sequence.partialTokens()).containsExactly(8);
    }

    @ParameterizedTest(name = "unwind({0})")
    @ValueSource(ints = {-1, 10, Integer.MIN_VALUE})
    void unwind_outOfRange_throwsNamingValueAndBound(int tokenCount) {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 9), 4, 0);

        assertThatThrownBy(() -> sequence.unwind(tokenCount))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tokenCount must be in [0, 9], got " + tokenCount);
        assertThat(sequence.totalTokens()).isEqualTo(9);
    }

    @Test
    void block_indexOutOfRange_throwsIndexOutOfBounds() {
        TokenBlockSequence sequence = TokenBlockSequence.of(range(0, 9), 4, 0);

        assertThatThrownBy(() -> sequence.block(2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> sequence.block(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void checkCapacity_moreBlocksThanPositions_throwsNamingLimitAndCount() {
        // 2^24 blocks of 1 token is the limit; building them would take gigabytes, so the guard is tested alone.
        TokenBlockSequence.checkCapacity(SequenceHash.MAX_POSITION, 1, 1);

        assertThatThrownBy(() -> TokenBlockSequence.checkCapacity(SequenceHash.MAX_POSITION + 1, 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a TokenBlockSequence holds at most 16777216 complete blocks (positions [0, 16777215]),"
                        + " 16777217 tokens with blockSize 1 make 16777217");
    }

    @Test
    void checkCapacity_moreTokensThanAnIntCounts_throwsNamingLimitAndSum() {
        TokenBlockSequence.checkCapacity(Integer.MAX_VALUE - 1L, 1, Integer.MAX_VALUE);

        assertThatThrownBy(() -> TokenBlockSequence.checkCapacity(Integer.MAX_VALUE, 1, Integer.MAX_VALUE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a TokenBlockSequence holds at most 2147483647 tokens, got 2147483647 + 1");
    }
}
