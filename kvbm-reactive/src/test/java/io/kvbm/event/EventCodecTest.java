package io.kvbm.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.StorageTier;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class EventCodecTest {

    static LongStream seeds() {
        return LongStream.range(0, 20).map(i -> 0xC0DEL * (i + 1));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EventKind.class)
    void decode_encodedBatch_roundTripsUnchanged(EventKind kind) {
        // kvbm-seq-events §6 invariant 1 (msgpack): batches survive the round trip with their instance id
        List<SequenceHash> hashes = kind == EventKind.SHUTDOWN ? List.of() : TestTokens.chain(0, 300);
        EventBatch batch = new EventBatch(12345, StorageTier.G3, 42, 1_700_000_000_000L, kind, hashes);
        assertThat(EventCodec.decode(EventCodec.encode(batch))).isEqualTo(batch);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void decode_randomBatches_roundTrip(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<SequenceHash> hashes = TestTokens.roots(seed, random.nextInt(0, 50));
        EventBatch batch = new EventBatch(
                random.nextLong(),
                StorageTier.values()[random.nextInt(4)],
                random.nextLong(-1, Long.MAX_VALUE),
                random.nextLong(),
                EventKind.values()[random.nextInt(4)],
                hashes);
        assertThat(EventCodec.decode(EventCodec.encode(batch))).isEqualTo(batch);
    }

    @Test
    void encode_hashesAreSixteenBigEndianBytes() throws IOException {
        SequenceHash h = SequenceHash.of(300, 0x0102030405060708L, 0x0AL);
        byte[] bytes = EventCodec.encode(new EventBatch(1, StorageTier.G1, 0, 0, EventKind.STORED, List.of(h)));
        byte[] expected = h.toBytes();
        // the last 16 bytes of the message are the only hash, verbatim
        assertThat(Arrays.copyOfRange(bytes, bytes.length - 16, bytes.length)).isEqualTo(expected);
    }

    @Test
    void decode_unknownField_isSkipped() throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packMapHeader(8);
        p.packString("future").packArrayHeader(2).packInt(1).packString("x");
        p.packString("v").packInt(1);
        p.packString("instance_id").packLong(9);
        p.packString("tier").packString("G2");
        p.packString("seq").packLong(3);
        p.packString("ts").packLong(4);
        p.packString("kind").packString("SHUTDOWN");
        p.packString("hashes").packArrayHeader(0);
        EventBatch decoded = EventCodec.decode(p.toByteArray());
        assertThat(decoded).isEqualTo(new EventBatch(9, StorageTier.G2, 3, 4, EventKind.SHUTDOWN, List.of()));
    }

    @Test
    void decode_malformedBytes_failWithClearMessages() throws IOException {
        assertThatThrownBy(() -> EventCodec.decode(new byte[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed event batch: expected a map of fields");
        byte[] good =
                EventCodec.encode(new EventBatch(1, StorageTier.G1, 0, 0, EventKind.STORED, TestTokens.roots(1, 3)));
        assertThatThrownBy(() -> EventCodec.decode(Arrays.copyOf(good, good.length - 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed event batch");
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> EventCodec.decode(trailing)).hasMessageContaining("trailing bytes");

        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packMapHeader(2).packString("v").packInt(2).packString("seq").packLong(0);
        assertThatThrownBy(() -> EventCodec.decode(p.toByteArray()))
                .hasMessageContaining("unsupported format version 2");

        MessageBufferPacker q = MessagePack.newDefaultBufferPacker();
        q.packMapHeader(1).packString("v").packInt(1);
        assertThatThrownBy(() -> EventCodec.decode(q.toByteArray()))
                .hasMessageContaining("missing field 'instance_id'");

        MessageBufferPacker r = MessagePack.newDefaultBufferPacker();
        r.packMapHeader(2).packString("v").packInt(1).packString("kind").packString("EXPLODED");
        assertThatThrownBy(() -> EventCodec.decode(r.toByteArray()))
                .hasMessageContaining("field 'kind' has unknown value \"EXPLODED\"");

        MessageBufferPacker s = MessagePack.newDefaultBufferPacker();
        s.packMapHeader(2)
                .packString("v")
                .packInt(1)
                .packString("hashes")
                .packArrayHeader(1)
                .packBinaryHeader(3);
        s.writePayload(new byte[3]);
        assertThatThrownBy(() -> EventCodec.decode(s.toByteArray()))
                .hasMessageContaining("hashes[0] has 3 bytes, expected 16");
    }
}
