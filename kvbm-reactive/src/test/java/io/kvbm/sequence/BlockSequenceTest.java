package io.kvbm.sequence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** {@link BlockSequence}: complete blocks only, the completed-block reports of extend and append, salt, errors. */
class BlockSequenceTest {

    @Test
    void of_eightTokensBlockSizeFour_hasTwoCompleteBlocks() {
        // kvbm-seq-events §6 invariant 36
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 8), 4);

        assertThat(sequence.blocks()).hasSize(2);
        assertThat(sequence.blockCount()).isEqualTo(2);
        assertThat(sequence.totalTokens()).isEqualTo(8);
        assertThat(sequence.blockSize()).isEqualTo(4);
        assertThat(sequence.partialTokens()).isEmpty();
    }

    @Test
    void of_partialTail_isNotABlock() {
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 10), 4);

        assertThat(sequence.blocks()).hasSize(2);
        assertThat(sequence.totalTokens()).isEqualTo(10);
        assertThat(sequence.partialTokens()).containsExactly(8, 9);
    }

    @Test
    void extendTokens_sixTokensOntoOneBlock_returnsRangeOfTheCompletedBlock() {
        // kvbm-seq-events §6 invariant 36
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 4), 4);

        Optional<IndexRange> completed = sequence.extendTokens(TestTokens.range(4, 6));

        assertThat(completed).contains(IndexRange.of(1, 2));
        assertThat(sequence.totalTokens()).isEqualTo(10);
        assertThat(sequence.partialTokens()).hasSize(2);
    }

    @Test
    void extendTokens_noBlockCompleted_returnsEmpty() {
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 4), 4);

        assertThat(sequence.extendTokens(new int[] {4, 5})).isEmpty();
        assertThat(sequence.extendTokens(new int[0])).isEmpty();
        assertThat(sequence.totalTokens()).isEqualTo(6);
    }

    @Test
    void extendTokens_severalBlocksAtOnce_returnsTheWholeRange() {
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 2), 4);

        assertThat(sequence.extendTokens(TestTokens.range(2, 11))).contains(IndexRange.of(0, 3));
    }

    @Test
    void appendToken_completingABlock_returnsItsIndex() {
        // kvbm-seq-events §6 invariant 36
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 3), 4);

        OptionalInt completed = sequence.appendToken(3);

        assertThat(completed).hasValue(0);
        assertThat(sequence.blockCount()).isEqualTo(1);
    }

    @Test
    void appendToken_insideABlock_returnsEmpty() {
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 4), 4);

        assertThat(sequence.appendToken(4)).isEmpty();
        assertThat(sequence.blockCount()).isEqualTo(1);
    }

    @Test
    void of_differentSalts_shareNoHash() {
        // kvbm-seq-events §6 invariant 36
        BlockSequence unsalted = BlockSequence.of(TestTokens.range(0, 8), 4);
        BlockSequence salted = BlockSequence.of(TestTokens.range(0, 8), 4, 7L);

        assertThat(salted.allSequenceHashes()).doesNotContainAnyElementsOf(unsalted.allSequenceHashes());
        assertThat(salted.salt()).isEqualTo(7L);
        assertThat(unsalted.salt()).isZero();
    }

    @Test
    void allSequenceHashes_areTheBlocksHashesWithAscendingPositions() {
        // kvbm-seq-events §6 invariant 36
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 14), 4);

        List<SequenceHash> hashes = sequence.allSequenceHashes();

        assertThat(hashes).hasSize(3);
        for (int i = 0; i < hashes.size(); i++) {
            assertThat(hashes.get(i)).isEqualTo(sequence.block(i).sequenceHash());
            assertThat(hashes.get(i).position()).isEqualTo(i);
        }
    }

    @Test
    void hashing_isTokenBlockSequences() {
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 12), 4, TestTokens.SALT);

        assertThat(sequence.blocks())
                .isEqualTo(TokenBlockSequence.of(TestTokens.range(0, 12), 4, TestTokens.SALT)
                        .blocks());
    }

    @Test
    void extendTokens_thenAppend_sameBlocksAsBuiltAtOnce() {
        BlockSequence grown = BlockSequence.of(TestTokens.range(0, 3), 4);
        grown.extendTokens(TestTokens.range(3, 6));
        grown.appendToken(9);
        grown.appendToken(10);

        List<TokenBlock> atOnce = BlockSequence.of(TestTokens.range(0, 11), 4).blocks();

        assertThat(grown.blocks()).isEqualTo(atOnce);
    }

    @Test
    void extendTokens_pastTheBlockLimit_throwsTokenExtensionAndChangesNothing() {
        BlockSequence sequence = BlockSequence.of(TestTokens.range(0, 3), 1);

        assertThatThrownBy(() -> sequence.extendTokens(new int[SequenceHash.MAX_POSITION + 1]))
                .isInstanceOfSatisfying(BlockSequenceException.class, e -> {
                    assertThat(e.kind()).isEqualTo(BlockSequenceException.Kind.TOKEN_EXTENSION);
                    assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
                    assertThat(e.getMessage()).contains("complete blocks");
                    assertThatThrownBy(e::blockId).isInstanceOf(IllegalStateException.class);
                });
        assertThat(sequence.totalTokens()).isEqualTo(3);
        assertThat(sequence.blockCount()).isEqualTo(3);
    }

    @Test
    void of_badArguments_areRefused() {
        assertThatThrownBy(() -> BlockSequence.of(null, 4)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> BlockSequence.of(new int[0], 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blockSize");
        assertThatThrownBy(() -> BlockSequence.of(new int[0], 4).extendTokens(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void toString_namesTheCountsNotTheTokens() {
        assertThat(BlockSequence.of(TestTokens.range(0, 9), 4).toString())
                .isEqualTo("BlockSequence[blockSize=4, salt=0, blocks=2, totalTokens=9]");
    }
}
