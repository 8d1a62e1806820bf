package io.kvbm.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.StorageTier;
import io.kvbm.router.ResyncRequest;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

class ResyncCodecTest {

    @ParameterizedTest
    @EnumSource(ResyncRequest.Reason.class)
    void decode_encodedRequest_roundTripsUnchanged(ResyncRequest.Reason reason) {
        ResyncRequest request = new ResyncRequest(-7, StorageTier.G2, 41, 44, reason);
        assertThat(ResyncCodec.decode(ResyncCodec.encode(request))).isEqualTo(request);
    }

    @Test
    void decode_unknownField_isSkipped() throws IOException {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(7);
            p.packString("future").packArrayHeader(2).packInt(1).packString("x");
            p.packString("v").packInt(1);
            p.packString("instance_id").packLong(3);
            p.packString("tier").packString("G1");
            p.packString("last_seq").packLong(-1);
            p.packString("received_seq").packLong(5);
            p.packString("reason").packString("UNKNOWN");
            assertThat(ResyncCodec.decode(p.toByteArray()))
                    .isEqualTo(new ResyncRequest(3, StorageTier.G1, -1, 5, ResyncRequest.Reason.UNKNOWN));
        }
    }

    @Test
    void decode_otherVersionOrMissingFieldOrGarbage_rejected() throws IOException {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(1).packString("v").packInt(2);
            assertThatThrownBy(() -> ResyncCodec.decode(p.toByteArray())).hasMessageContaining("version 1");
        }
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(1).packString("v").packInt(1);
            assertThatThrownBy(() -> ResyncCodec.decode(p.toByteArray())).hasMessageContaining("misses a field");
        }
        assertThatThrownBy(() -> ResyncCodec.decode(new byte[] {(byte) 0xc1}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
