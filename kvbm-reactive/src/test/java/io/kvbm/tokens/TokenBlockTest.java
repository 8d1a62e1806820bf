package io.kvbm.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The content-hash and chaining rules of {@link TokenBlock}, pinned to values computed outside this code base.
 *
 * <p>Expected hashes were computed with {@code python3-xxhash} 3.2.0 (libxxhash 0.8.1) and cross-checked with
 * {@code @node-rs/xxhash} 1.7.8 (Rust {@code xxhash-rust}): block hash {@code xxh3_64(pack('<IIII', tokens), salt)},
 * chain {@code xxh3_64(pack('<QQ', parentSeq, blockHash), 0)}; the 128-bit values and text forms with Python
 * integers and a Python base58 encoder.
 */
class TokenBlockTest {

    private static List<TokenBlock> cut(int tokenCount, int blockSize, long salt) {
        return TokenBlockSequence.of(IntStream.range(0, tokenCount).toArray(), blockSize, salt)
                .blocks();
    }

    @Test
    void blocks_tokens0To8BlockSize4Salt42_matchReferenceHashes() {
        List<TokenBlock> blocks = cut(8, 4, 42);

        TokenBlock first = blocks.get(0);
        assertThat(first.blockHash()).isEqualTo(0x85FC4B7513958F63L);
        assertThat(first.sequenceHash().currentSequenceHash()).isEqualTo(0x85FC4B7513958F63L);
        assertThat(first.sequenceHash().highBits()).isEqualTo(0x00217F12DD44E563L);
        assertThat(first.sequenceHash().lowBits()).isEqualTo(0xD8C0000000000000L);
        assertThat(first.sequenceHash()).hasToString("0:PQpzX4wppYi");
        assertThat(first.parentSequenceHash()).isEmpty();

        TokenBlock second = blocks.get(1);
        assertThat(second.blockHash()).isEqualTo(0x35C7DA70A8C7504FL);
        assertThat(second.sequenceHash().currentSequenceHash()).isEqualTo(0x193BC5E7FAAB4E1DL);
        assertThat(second.sequenceHash().highBits()).isEqualTo(0x00464EF179FEAAD3L);
        assertThat(second.sequenceHash().lowBits()).isEqualTo(0x877C4B7513958F63L);
        assertThat(second.sequenceHash().parentHashFragment()).isEqualTo(0x003C4B7513958F63L);
        assertThat(second.sequenceHash()).hasToString("1:5DoCFWzkMT2:13HXQbvbzWn");
        assertThat(second.parentSequenceHash()).isEqualTo(OptionalLong.of(0x85FC4B7513958F63L));
    }

    @Test
    void blocks_tokens0To8BlockSize4Salt0_matchReferenceHashes() {
        List<TokenBlock> blocks = cut(8, 4, 0);

        assertThat(blocks.get(0).blockHash()).isEqualTo(0xA1D0BD893C9531ACL);
        assertThat(blocks.get(1).blockHash()).isEqualTo(0xF0BF80B0226B6C14L);
        assertThat(blocks.get(1).sequenceHash().currentSequenceHash()).isEqualTo(0xDB33494FF9C294FFL);
        assertThat(blocks.get(1).sequenceHash()).hasToString("1:dfX34bp5fAE:1do5AYViE7");
    }

    @Test
    void blocks_tokens0To12BlockSize4Salt1337_chainThroughThreeBlocks() {
        List<TokenBlock> blocks = cut(12, 4, 1337);

        assertThat(blocks)
                .extracting(TokenBlock::blockHash)
                .containsExactly(0x7EE2CBEDC694AB46L, 0xA8416CFD935BDB13L, 0x0F1AA342314B9384L);
        assertThat(blocks)
                .extracting(b -> b.sequenceHash().currentSequenceHash())
                .containsExactly(0x7EE2CBEDC694AB46L, 0x1571877831834DEFL, 0xEC946A02E1A31093L);
        assertThat(blocks.get(2).sequenceHash()).hasToString("2:ga7xCAXTvFc:12ss1KU8Qjg");
        assertThat(blocks.get(2).parentSequenceHash()).isEqualTo(OptionalLong.of(0x1571877831834DEFL));
    }

    @Test
    void sequenceHash_childBlock_isParentExtendedWithBlockHash() {
        List<TokenBlock> blocks = cut(12, 4, 9);

        for (int i = 1; i < blocks.size(); i++) {
            assertThat(blocks.get(i).sequenceHash())
                    .isEqualTo(blocks.get(i - 1)
                            .sequenceHash()
                            .extend(blocks.get(i).blockHash()));
            assertThat(blocks.get(i).sequenceHash().position())
                    .isEqualTo(blocks.get(i).position())
                    .isEqualTo(i);
        }
        assertThat(blocks.get(0).sequenceHash())
                .isEqualTo(SequenceHash.root(blocks.get(0).blockHash()));
    }

    @Test
    void accessors_block_describeItsTokens() {
        TokenBlock block = cut(8, 4, 42).get(1);

        assertThat(block.tokens()).containsExactly(4, 5, 6, 7);
        assertThat(block.size()).isEqualTo(4);
        assertThat(block.token(0)).isEqualTo(4);
        assertThat(block.token(3)).isEqualTo(7);
        assertThat(block.position()).isEqualTo(1);
        assertThat(block.salt()).isEqualTo(42);
    }

    @Test
    void token_indexOutOfRange_throwsIndexOutOfBounds() {
        TokenBlock block = cut(4, 4, 0).get(0);

        assertThatThrownBy(() -> block.token(4)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> block.token(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void tokens_callerMutatesCopies_blockUnchanged() {
        int[] input = {1, 2, 3, 4};
        TokenBlock block = TokenBlockSequence.of(input, 4, 0).blocks().get(0);
        input[0] = 100;
        int[] out = block.tokens();
        out[1] = 200;

        assertThat(block.tokens()).containsExactly(1, 2, 3, 4);
        assertThat(block)
                .isEqualTo(TokenBlockSequence.of(new int[] {1, 2, 3, 4}, 4, 0)
                        .blocks()
                        .get(0));
    }

    @Test
    void equals_sameTokensPositionSaltAndPrefix_equalAndSameHashCode() {
        TokenBlock a = cut(8, 4, 42).get(1);
        TokenBlock b = cut(9, 4, 42).get(1);

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isEqualTo(a);
        assertThat(a).isNotEqualTo(cut(8, 4, 43).get(1));
        assertThat(a).isNotEqualTo(cut(8, 4, 42).get(0));
        assertThat(a.equals(null)).isFalse();
        assertThat(a.equals((Object) "block")).isFalse();
    }

    @Test
    void equals_sameTokensDifferentPrefix_notEqual() {
        TokenBlock a =
                TokenBlockSequence.of(new int[] {1, 1, 5, 5}, 2, 0).blocks().get(1);
        TokenBlock b =
                TokenBlockSequence.of(new int[] {2, 2, 5, 5}, 2, 0).blocks().get(1);

        assertThat(a.blockHash()).isEqualTo(b.blockHash());
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void toString_block_namesPositionSizeSaltAndHashes() {
        assertThat(cut(8, 4, 42).get(1))
                .hasToString("TokenBlock[position=1, size=4, salt=42, blockHash=0x35C7DA70A8C7504F,"
                        + " sequenceHash=1:5DoCFWzkMT2:13HXQbvbzWn]");
    }
}
