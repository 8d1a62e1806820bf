package io.kvbm.tokens;

import static io.kvbm.tokens.Xxh3Test.u64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bit layout, wire form, order and text form of {@link SequenceHash}.
 *
 * <p>Expected bits and strings were computed with Python integers (independent of the shifts under test) from the
 * layout {@code mode << 126 | position << (64 + R) | current << R | fragment}, and base58 with a separate Python
 * encoder of the bitcoin alphabet.
 */
class SequenceHashTest {

    private static final long CURRENT = 0x0123456789ABCDEFL;
    private static final long PARENT = 0xFEDCBA9876543210L;

    @ParameterizedTest(name = "position {0}")
    @CsvSource({
        // position, mode, fragment bits, high bits, low bits, parent fragment, text
        "0,        0, 54, 0x000048D159E26AF3, 0x7BC0000000000000, 0x0000000000000000, 0:C3CPq7c8PY",
        "1,        0, 54, 0x004048D159E26AF3, 0x7BDCBA9876543210, 0x001CBA9876543210, 1:C3CPq7c8PY:1269NgQm8hM",
        "255,      0, 54, 0x3FC048D159E26AF3, 0x7BDCBA9876543210, 0x001CBA9876543210, 255:C3CPq7c8PY:1269NgQm8hM",
        "256,      1, 46, 0x40400048D159E26A, 0xF37BFA9876543210, 0x00003A9876543210, 256:C3CPq7c8PY:11WBNjiWpo",
        "65535,    1, 46, 0x7FFFC048D159E26A, 0xF37BFA9876543210, 0x00003A9876543210, 65535:C3CPq7c8PY:11WBNjiWpo",
        "65536,    2, 38, 0x8040000048D159E2, 0x6AF37BD876543210, 0x0000001876543210, 65536:C3CPq7c8PY:1113m5BjwV",
        "16777215, 2, 38, 0xBFFFFFC048D159E2, 0x6AF37BD876543210, 0x0000001876543210, 16777215:C3CPq7c8PY:1113m5BjwV",
    })
    void of_positionAcrossModes_encodesExpectedBitsAndDecodesFields(
            int position, int mode, int fragmentBits, String high, String low, String fragment, String text) {
        SequenceHash hash = SequenceHash.of(position, CURRENT, PARENT);

        assertThat(hash.highBits()).isEqualTo(u64(high));
        assertThat(hash.lowBits()).isEqualTo(u64(low));
        assertThat(hash.position()).isEqualTo(position);
        assertThat(hash.mode()).isEqualTo(mode);
        assertThat(hash.currentSequenceHash()).isEqualTo(CURRENT);
        assertThat(hash.parentHashFragment()).isEqualTo(u64(fragment));
        assertThat(hash.isRoot()).isEqualTo(position == 0);
        assertThat(hash.toString()).isEqualTo(text);
        if (position > 0) {
            assertThat(hash.parentHashFragment()).isEqualTo(PARENT & ((1L << fragmentBits) - 1));
        }
        assertThat(SequenceHash.fromBits(hash.highBits(), hash.lowBits())).isEqualTo(hash);
        assertThat(SequenceHash.fromBytes(hash.toBytes())).isEqualTo(hash);
    }

    @ParameterizedTest(name = "position {0}")
    @CsvSource({"1, 54", "255, 54", "256, 46", "65535, 46", "65536, 38", "16777215, 38"})
    void parentHashFragment_allOnesParent_hasWidthOfMode(int position, int expectedBits) {
        SequenceHash hash = SequenceHash.of(position, 0L, -1L);

        assertThat(Long.bitCount(hash.parentHashFragment())).isEqualTo(expectedBits);
        assertThat(Long.numberOfLeadingZeros(hash.parentHashFragment())).isEqualTo(64 - expectedBits);
        assertThat(hash.currentSequenceHash()).isZero();
    }

    @ParameterizedTest(name = "position {0}")
    @ValueSource(ints = {1, 255, 256, 65535, 65536, SequenceHash.MAX_POSITION})
    void of_extremeFieldValues_roundTripWithoutBleedingIntoNeighbours(int position) {
        SequenceHash allOnes = SequenceHash.of(position, -1L, -1L);
        SequenceHash allZeros = SequenceHash.of(position, 0L, 0L);

        assertThat(allOnes.position()).isEqualTo(position);
        assertThat(allOnes.currentSequenceHash()).isEqualTo(-1L);
        assertThat(allZeros.position()).isEqualTo(position);
        assertThat(allZeros.currentSequenceHash()).isZero();
        assertThat(allZeros.parentHashFragment()).isZero();
    }

    @Test
    void mode_positionsAtBoundaries_switchAt256And65536() {
        assertThat(SequenceHash.of(255, 1, 1).mode()).isZero();
        assertThat(SequenceHash.of(256, 1, 1).mode()).isEqualTo(1);
        assertThat(SequenceHash.of(65535, 1, 1).mode()).isEqualTo(1);
        assertThat(SequenceHash.of(65536, 1, 1).mode()).isEqualTo(2);
    }

    @Test
    void root_blockHash_isPositionZeroWithBlockHashAsCurrentAndNoFragment() {
        SequenceHash root = SequenceHash.root(CURRENT);

        assertThat(root.position()).isZero();
        assertThat(root.isRoot()).isTrue();
        assertThat(root.currentSequenceHash()).isEqualTo(CURRENT);
        assertThat(root.parentHashFragment()).isZero();
        assertThat(root).isEqualTo(SequenceHash.of(0, CURRENT, PARENT));
    }

    @Test
    void extend_root_chainsWithSeedZeroAndKeepsParentFragment() {
        SequenceHash child = SequenceHash.root(CURRENT).extend(0x1111111111111111L);

        assertThat(child.position()).isEqualTo(1);
        assertThat(child.isRoot()).isFalse();
        // python3-xxhash: xxh3_64_intdigest(struct.pack('<QQ', 0x0123456789ABCDEF, 0x1111111111111111), 0)
        assertThat(child.currentSequenceHash()).isEqualTo(0xFE7CA6255DF7266BL);
        assertThat(child.parentHashFragment()).isEqualTo(CURRENT & ((1L << 54) - 1));
    }

    @ParameterizedTest(name = "from position {0}")
    @ValueSource(ints = {0, 254, 255, 256, 65534, 65535, 65536, SequenceHash.MAX_POSITION - 1})
    void extend_acrossModeBoundaries_childFragmentMatchesParentFragmentForChildPosition(int position) {
        SequenceHash parent = SequenceHash.of(position, CURRENT, PARENT);

        SequenceHash child = parent.extend(0x2222222222222222L);

        assertThat(child.position()).isEqualTo(position + 1);
        assertThat(child.mode()).isEqualTo(position + 1 < 256 ? 0 : position + 1 < 65536 ? 1 : 2);
        // python3-xxhash: xxh3_64_intdigest(struct.pack('<QQ', 0x0123456789ABCDEF, 0x2222222222222222), 0)
        assertThat(child.currentSequenceHash()).isEqualTo(0xFB3798CAC13AE920L);
        assertThat(child.parentHashFragment()).isEqualTo(parent.parentFragmentForChildPosition(position + 1));
    }

    @Test
    void parentFragmentForChildPosition_eachMode_truncatesOwnCurrentHash() {
        SequenceHash hash = SequenceHash.of(3, -1L, 0L);

        assertThat(hash.parentFragmentForChildPosition(4)).isEqualTo((1L << 54) - 1);
        assertThat(hash.parentFragmentForChildPosition(256)).isEqualTo((1L << 46) - 1);
        assertThat(hash.parentFragmentForChildPosition(65536)).isEqualTo((1L << 38) - 1);
    }

    @ParameterizedTest(name = "child position {0}")
    @ValueSource(ints = {-1, SequenceHash.MAX_POSITION + 1})
    void parentFragmentForChildPosition_outOfRange_throwsNamingValue(int childPosition) {
        assertThatThrownBy(() -> SequenceHash.root(1).parentFragmentForChildPosition(childPosition))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("childPosition must be in [0, 16777215], got " + childPosition);
    }

    @Test
    void extend_atMaxPosition_throwsIllegalStateNamingPosition() {
        SequenceHash last = SequenceHash.of(SequenceHash.MAX_POSITION, CURRENT, PARENT);

        assertThatThrownBy(() -> last.extend(1L))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("16777215");
    }

    @ParameterizedTest(name = "position {0}")
    @ValueSource(ints = {-1, Integer.MIN_VALUE, SequenceHash.MAX_POSITION + 1, Integer.MAX_VALUE})
    void of_positionOutOfRange_throwsNamingValue(int position) {
        assertThatThrownBy(() -> SequenceHash.of(position, 1, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("position must be in [0, 16777215], got " + position);
    }

    @Test
    void fromBits_modeThree_throwsNamingMode() {
        assertThatThrownBy(() -> SequenceHash.fromBits(0xC000000000000000L, 0L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SequenceHash mode must be 0, 1 or 2, got 3 (high bits 0xC000000000000000)");
    }

    @Test
    void fromBits_smallPositionInModeOne_throwsNamingPositionAndModes() {
        long high = (1L << 62) | (5L << 46);

        assertThatThrownBy(() -> SequenceHash.fromBits(high, 0L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "SequenceHash position 5 must be encoded in mode 0, got mode 1 (high bits 0x4001400000000000)");
    }

    @Test
    void fromBits_positionBelow65536InModeTwo_throwsNamingPositionAndModes() {
        long high = (2L << 62) | (300L << 38);

        assertThatThrownBy(() -> SequenceHash.fromBits(high, 0L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("SequenceHash position 300 must be encoded in mode 1, got mode 2");
    }

    @Test
    void toBytes_knownHash_isBigEndianHighWordFirst() {
        SequenceHash hash = SequenceHash.fromBits(0x0102030405060708L, 0x090A0B0C0D0E0F10L);

        assertThat(hash.toBytes()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    }

    @Test
    void fromBytes_randomValidHashes_roundTrip() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 1_000; i++) {
            SequenceHash hash = SequenceHash.of(
                    random.nextInt(SequenceHash.MAX_POSITION + 1), random.nextLong(), random.nextLong());

            byte[] bytes = hash.toBytes();

            assertThat(bytes).hasSize(SequenceHash.BYTES);
            assertThat(SequenceHash.fromBytes(bytes)).isEqualTo(hash);
        }
    }

    @Test
    void toBytes_eachCall_returnsAFreshArray() {
        SequenceHash hash = SequenceHash.root(CURRENT);
        byte[] first = hash.toBytes();
        first[0] = 0x7F;

        assertThat(hash.toBytes()[0]).isZero();
    }

    @Test
    void fromBytes_null_throwsNullPointerNamingArgument() {
        assertThatThrownBy(() -> SequenceHash.fromBytes(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("bytes");
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 8, 15, 17, 32})
    void fromBytes_wrongLength_throwsNamingLength(int length) {
        assertThatThrownBy(() -> SequenceHash.fromBytes(new byte[length]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SequenceHash needs 16 bytes, got " + length);
    }

    @Test
    void fromBytes_modeThree_throws() {
        byte[] bytes = new byte[16];
        bytes[0] = (byte) 0xC0;

        assertThatThrownBy(() -> SequenceHash.fromBytes(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 3");
    }

    @Test
    void compareTo_differentPositions_ordersByPositionBeforeHash() {
        SequenceHash shallowBig = SequenceHash.of(0, -1L, 0);
        SequenceHash deepSmall = SequenceHash.of(1, 0L, 0);
        SequenceHash deeperInOtherMode = SequenceHash.of(256, 0L, 0);

        assertThat(shallowBig).isLessThan(deepSmall);
        assertThat(deepSmall).isLessThan(deeperInOtherMode);
    }

    @Test
    void compareTo_samePosition_ordersCurrentHashUnsigned() {
        SequenceHash high = SequenceHash.of(7, 0x8000000000000000L, 0);
        SequenceHash low = SequenceHash.of(7, 0x7FFFFFFFFFFFFFFFL, 0);

        assertThat(low).isLessThan(high);
        assertThat(high.compareTo(low)).isPositive();
    }

    @Test
    void compareTo_samePositionAndCurrent_ordersByFragmentUnsigned() {
        SequenceHash small = SequenceHash.of(7, 5L, 1L);
        SequenceHash large = SequenceHash.of(7, 5L, 1L << 53);

        assertThat(small).isLessThan(large);
        assertThat(small.compareTo(SequenceHash.of(7, 5L, 1L))).isZero();
    }

    @Test
    void compareTo_shuffledHashes_sortsConsistentlyWithEquals() {
        SplittableRandom random = new SplittableRandom(3);
        List<SequenceHash> hashes = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            hashes.add(SequenceHash.of(random.nextInt(300), random.nextInt(4) - 2L, random.nextInt(3)));
        }
        Collections.shuffle(hashes, new Random(3));

        Collections.sort(hashes);

        for (int i = 1; i < hashes.size(); i++) {
            SequenceHash previous = hashes.get(i - 1);
            SequenceHash next = hashes.get(i);
            assertThat(previous.position()).isLessThanOrEqualTo(next.position());
            if (previous.position() == next.position()) {
                assertThat(Long.compareUnsigned(previous.currentSequenceHash(), next.currentSequenceHash()))
                        .isLessThanOrEqualTo(0);
            }
            assertThat(previous.compareTo(next) == 0).isEqualTo(previous.equals(next));
        }
    }

    @Test
    void toString_zeroAndMaxHashes_useLeadingOnesAndFullWidth() {
        assertThat(SequenceHash.root(0L)).hasToString("0:11111111");
        assertThat(SequenceHash.root(1L)).hasToString("0:11111112");
        assertThat(SequenceHash.root(-1L)).hasToString("0:jpXCZedGfVQ");
        assertThat(SequenceHash.of(1, -1L, 0L)).hasToString("1:jpXCZedGfVQ:11111111");
    }

    @Test
    void equals_sameBits_equalAndSameHashCode() {
        SequenceHash a = SequenceHash.of(300, CURRENT, PARENT);
        SequenceHash b = SequenceHash.fromBits(a.highBits(), a.lowBits());

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isEqualTo(a);
        assertThat(a).isNotEqualTo(SequenceHash.of(300, CURRENT, PARENT ^ 1));
        assertThat(a).isNotEqualTo(SequenceHash.of(301, CURRENT, PARENT));
        assertThat(a).isNotEqualTo(SequenceHash.of(300, CURRENT ^ 1, PARENT));
        assertThat(a.equals(null)).isFalse();
        assertThat(a.equals((Object) "300")).isFalse();
    }

    @Test
    void hashCode_sequentialPositionsAndHashes_spreadOverLowBits() {
        Set<Integer> codes = new HashSet<>();
        Set<Integer> lowByteBuckets = new HashSet<>();
        for (int i = 0; i < 4096; i++) {
            // Structured families a plain hi ^ lo fold would collapse: position bits align with current-hash bits.
            for (SequenceHash hash :
                    List.of(SequenceHash.of(i, i, 0), SequenceHash.root(i), SequenceHash.of(i + 1, 0, i + 1))) {
                int code = hash.hashCode();
                codes.add(code);
                lowByteBuckets.add(code & 0xFF);
            }
        }

        assertThat(codes).hasSizeGreaterThan(3 * 4096 - 4);
        assertThat(lowByteBuckets).hasSize(256);
    }
}
