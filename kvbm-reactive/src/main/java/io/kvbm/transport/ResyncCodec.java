package io.kvbm.transport;

import io.kvbm.block.StorageTier;
import io.kvbm.router.ResyncRequest;
import java.io.IOException;
import java.util.Objects;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;

/**
 * The wire form of a {@link ResyncRequest}: a MessagePack map with named fields, like the event batches.
 *
 * <pre>
 * { "v": 1, "instance_id": int64, "tier": "G1".."G4", "last_seq": int64, "received_seq": int64,
 *   "reason": "GAP" | "UNKNOWN" | "RETRY" }
 * </pre>
 *
 * Readers skip fields they do not know and reject another version.
 */
final class ResyncCodec {

    static final int VERSION = 1;

    private ResyncCodec() {}

    static byte[] encode(ResyncRequest request) {
        Objects.requireNonNull(request, "request");
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            packer.packMapHeader(6);
            packer.packString("v").packInt(VERSION);
            packer.packString("instance_id").packLong(request.instanceId());
            packer.packString("tier").packString(request.tier().name());
            packer.packString("last_seq").packLong(request.lastSeq());
            packer.packString("received_seq").packLong(request.receivedSeq());
            packer.packString("reason").packString(request.reason().name());
            return packer.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("encoding a resync request into memory failed", e); // cannot happen
        }
    }

    /**
     * Decodes a request.
     *
     * @throws IllegalArgumentException if the bytes are not a well-formed request of version 1
     */
    static ResyncRequest decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        try (MessageUnpacker in = MessagePack.newDefaultUnpacker(bytes)) {
            int fields = in.unpackMapHeader();
            Integer version = null;
            Long instanceId = null;
            StorageTier tier = null;
            Long lastSeq = null;
            Long receivedSeq = null;
            ResyncRequest.Reason reason = null;
            for (int i = 0; i < fields; i++) {
                String name = in.unpackString();
                switch (name) {
                    case "v" -> version = in.unpackInt();
                    case "instance_id" -> instanceId = in.unpackLong();
                    case "tier" -> tier = StorageTier.valueOf(in.unpackString());
                    case "last_seq" -> lastSeq = in.unpackLong();
                    case "received_seq" -> receivedSeq = in.unpackLong();
                    case "reason" -> reason = ResyncRequest.Reason.valueOf(in.unpackString());
                    default -> in.skipValue();
                }
            }
            if (version == null || version != VERSION) {
                throw new IllegalArgumentException("not a resync request of version " + VERSION + ": v=" + version);
            }
            if (instanceId == null || tier == null || lastSeq == null || receivedSeq == null || reason == null) {
                throw new IllegalArgumentException(
                        "resync request misses a field: instance_id=" + instanceId + ", tier=" + tier + ", last_seq="
                                + lastSeq + ", received_seq=" + receivedSeq + ", reason=" + reason);
            }
            return new ResyncRequest(instanceId, tier, lastSeq, receivedSeq, reason);
        } catch (IOException | MessagePackException e) {
            throw new IllegalArgumentException("malformed resync request: " + e.getMessage(), e);
        }
    }
}
