package io.kvbm.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pins XXH3-64 and kvbm's two uses of it to values computed outside this code base, so that a library upgrade or a
 * byte-order slip cannot change hashes that Dynamo workers and routers must agree on.
 *
 * <p>Every expected value below was computed with {@code python3-xxhash} 3.2.0 (Debian bookworm, over the reference
 * C library libxxhash 0.8.1, {@code xxh3_64_intdigest(data, seed)}) and cross-checked with {@code @node-rs/xxhash}
 * 1.7.8 from npm ({@code xxh3.xxh64(data, seed)}, a binding of the Rust {@code xxhash-rust} crate that Dynamo itself
 * uses). The seed-0 sanity-buffer values were also checked with {@code xxhsum -H3} 0.8.1.
 */
class Xxh3Test {

    private static final long PRIME32 = 2654435761L;
    private static final long PRIME64 = 0x9E3779B185EBCA87L;

    /** The sanity buffer of xxHash's own self-test ({@code XSUM_fillTestBuffer}). */
    static byte[] sanityBuffer(int length) {
        byte[] buffer = new byte[length];
        long byteGen = PRIME32;
        for (int i = 0; i < length; i++) {
            buffer[i] = (byte) (byteGen >>> 56);
            byteGen *= PRIME64;
        }
        return buffer;
    }

    /** Parses {@code 0x}-prefixed unsigned hex or plain decimal; CSV cannot hold unsigned 64-bit literals. */
    static long u64(String text) {
        return text.startsWith("0x") ? Long.parseUnsignedLong(text.substring(2), 16) : Long.parseLong(text);
    }

    @ParameterizedTest(name = "len {0}, seed {1}")
    @CsvSource({
        // length, seed, XXH3_64(sanityBuffer(length), seed)
        "0,    0,                  0x2D06800538D394C2",
        "0,    0x9E3779B185EBCA87, 0x07F70F819703314D",
        "1,    0,                  0xC44BDFF4074EECDB",
        "1,    0x9E3779B185EBCA87, 0x719AE0FC4EB5DB08",
        "6,    0,                  0x3CC50D1B34772C2C",
        "6,    0x9E3779B185EBCA87, 0x9D7C15833137D5DC",
        "12,   0,                  0x08662ADD2C628C21",
        "12,   0x9E3779B185EBCA87, 0x39C3C5CBA7756BD8",
        "24,   0,                  0x6CBF7A5DC0F3B4AB",
        "24,   0x9E3779B185EBCA87, 0x143113BCC0EA101B",
        "48,   0,                  0x7DEC70F0C65E9E15",
        "48,   0x9E3779B185EBCA87, 0x7FAD27E669631D49",
        "80,   0,                  0x343EA68F9ABB0DA5",
        "80,   0x9E3779B185EBCA87, 0x00DEEA347AF34150",
        "195,  0,                  0x64586F630891D72F",
        "195,  0x9E3779B185EBCA87, 0xFE594A6DF6645FCB",
        "403,  0,                  0x8F23B428730C6887",
        "403,  0x9E3779B185EBCA87, 0xA9C80181A1FE2BD1",
        "512,  0,                  0x2670A49459B231DA",
        "2048, 0,                  0x8C9A8E3F25D392D6",
        "2240, 0,                  0x644826E2B5FAFEAE",
        "2240, 0x9E3779B185EBCA87, 0x234A14C1A8FE1FCF",
        "2367, 0,                  0xD4771B3A18E7F2FE",
        "2367, 0x9E3779B185EBCA87, 0x6090EAC5731203C7",
    })
    void seeded_sanityBuffer_matchesReferenceXxh3(int length, String seed, String expected) {
        byte[] buffer = sanityBuffer(length);

        assertThat(Xxh3.seeded(u64(seed)).hashBytes(buffer))
                .as("XXH3_64(sanity[%d], seed %s)", length, seed)
                .isEqualTo(u64(expected));
    }

    @ParameterizedTest(name = "len {0}, seed {1}")
    @CsvSource({
        // lengths divisible by 4 from the table above, read as little-endian u32 tokens
        "12,   0,                  0x08662ADD2C628C21",
        "48,   0x9E3779B185EBCA87, 0x7FAD27E669631D49",
        "80,   0,                  0x343EA68F9ABB0DA5",
        "2048, 0,                  0x8C9A8E3F25D392D6",
        "2240, 0x9E3779B185EBCA87, 0x234A14C1A8FE1FCF",
    })
    void hashTokens_sanityBufferAsLittleEndianInts_matchesReferenceXxh3(int length, String seed, String expected) {
        int[] tokens = new int[length / 4];
        ByteBuffer.wrap(sanityBuffer(length))
                .order(ByteOrder.LITTLE_ENDIAN)
                .asIntBuffer()
                .get(tokens);
        long seedValue = u64(seed);
        long expectedValue = u64(expected);

        assertThat(Xxh3.hashTokens(tokens, 0, tokens.length, seedValue)).isEqualTo(expectedValue);
        assertThat(Xxh3.hashTokensPortable(Xxh3.seeded(seedValue), tokens, 0, tokens.length))
                .isEqualTo(expectedValue);
    }

    @Test
    void seeded_zeroSeedEmptyInput_isTheSpecificationValue() {
        assertThat(Xxh3.seeded(0).hashBytes(new byte[0])).isEqualTo(0x2D06800538D394C2L);
        assertThat(Xxh3.hashTokens(new int[0], 0, 0, 0)).isEqualTo(0x2D06800538D394C2L);
    }

    @Test
    void hashTokens_negativeToken_isHashedAsUnsigned32BitLittleEndian() {
        // python3-xxhash: xxh3_64_intdigest(struct.pack('<II', 0xFFFFFFFF, 0x12345678), 0)
        assertThat(Xxh3.hashTokens(new int[] {-1, 0x12345678}, 0, 2, 0)).isEqualTo(0x0FB498ADA865DC98L);
    }

    @Test
    void hashTokens_subRange_hashesOnlyThatRange() {
        int[] padded = {99, -1, 0x12345678, 99};

        assertThat(Xxh3.hashTokens(padded, 1, 3, 0)).isEqualTo(0x0FB498ADA865DC98L);
    }

    @Test
    void hashTokens_rangeOutsideArray_throwsIndexOutOfBounds() {
        assertThatThrownBy(() -> Xxh3.hashTokens(new int[2], 1, 3, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Xxh3.hashTokensPortable(Xxh3.seeded(0), new int[2], 2, 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void hashTokens_randomInput_agreesWithPortableByteEncoding(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 200; round++) {
            int[] tokens = random.ints(random.nextInt(300)).toArray();
            int from = tokens.length == 0 ? 0 : random.nextInt(tokens.length);
            int to = from + random.nextInt(tokens.length - from + 1);
            long salt = random.nextLong();
            LongHashFunction function = Xxh3.seeded(salt);
            ByteBuffer bytes = ByteBuffer.allocate((to - from) * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = from; i < to; i++) {
                bytes.putInt(tokens[i]);
            }

            long expected = function.hashBytes(bytes.array());
            assertThat(Xxh3.hashTokens(tokens, from, to, salt)).isEqualTo(expected);
            assertThat(Xxh3.hashTokensPortable(function, tokens, from, to)).isEqualTo(expected);
        }
    }

    @Test
    void chain_knownInputs_matchReferenceXxh3OfLittleEndianPair() {
        // python3-xxhash: xxh3_64_intdigest(struct.pack('<QQ', parent, block), 0)
        assertThat(Xxh3.chain(1L, 2L)).isEqualTo(0x07EE86C281446BEFL);
        assertThat(Xxh3.chain(-1L, Long.MIN_VALUE)).isEqualTo(0x002FA5A59EB40A0FL);
        assertThat(Xxh3.chain(0x0123456789ABCDEFL, 0x1111111111111111L)).isEqualTo(0xFE7CA6255DF7266BL);
        assertThat(Xxh3.chainPortable(1L, 2L)).isEqualTo(0x07EE86C281446BEFL);
    }

    @Test
    void chain_randomInputs_agreesWithPortableByteEncoding() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 1_000; i++) {
            long parent = random.nextLong();
            long block = random.nextLong();

            assertThat(Xxh3.chain(parent, block)).isEqualTo(Xxh3.chainPortable(parent, block));
        }
    }
}
