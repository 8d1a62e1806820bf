package io.kvbm.event;

import io.kvbm.block.StorageTier;
import io.kvbm.tokens.SequenceHash;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * The wire form of an {@link EventBatch}: one MessagePack map with named fields (documented field by field in
 * {@code docs/events.md}).
 *
 * <pre>
 * { "v": 1, "instance_id": int64, "tier": "G1".."G4", "seq": int64, "ts": int64 (ms),
 *   "kind": "STORED" | "REMOVED" | "CLEARED" | "SHUTDOWN", "hashes": [ bin16, ... ] }
 * </pre>
 *
 * Each hash is the 16-byte big-endian form of {@link SequenceHash#toBytes()}. Named maps, not positional arrays, so
 * that a reader can skip fields it does not know: a newer writer may add fields without breaking older readers
 * (Dynamo's event plane chose named maps for the same reason). Readers reject a different major version {@code v}.
 * Thread-safe and stateless.
 */
public final class EventCodec {

    /** The format version written in field {@code v}. */
    public static final int VERSION = 1;

    private EventCodec() {}

    /**
     * Encodes a batch.
     *
     * @param batch the batch
     * @return its MessagePack bytes
     */
    public static byte[] encode(EventBatch batch) {
        Objects.requireNonNull(batch, "batch");
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            packer.packMapHeader(7);
            packer.packString("v").packInt(VERSION);
            packer.packString("instance_id").packLong(batch.instanceId());
            packer.packString("tier").packString(batch.tier().name());
            packer.packString("seq").packLong(batch.seq());
            packer.packString("ts").packLong(batch.timestampMillis());
            packer.packString("kind").packString(batch.kind().name());
            packer.packString("hashes").packArrayHeader(batch.hashes().size());
            for (SequenceHash hash : batch.hashes()) {
                byte[] bytes = hash.toBytes();
                packer.packBinaryHeader(bytes.length);
                packer.writePayload(bytes);
            }
            return packer.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("encoding an event batch into memory failed", e); // cannot happen
        }
    }

    /**
     * Decodes a batch.
     *
     * @param bytes MessagePack bytes written by {@link #encode}
     * @return the batch
     * @throws IllegalArgumentException if the bytes are not a well-formed batch of version 1, naming what is wrong
     */
    public static EventBatch decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        try (MessageUnpacker in = MessagePack.newDefaultUnpacker(bytes)) {
            if (!in.hasNext() || in.getNextFormat().getValueType() != ValueType.MAP) {
                throw malformed("expected a map of fields");
            }
            int fields = in.unpackMapHeader();
            Integer version = null;
            Long instanceId = null;
            StorageTier tier = null;
            Long seq = null;
            Long ts = null;
            EventKind kind = null;
            List<SequenceHash> hashes = null;
            for (int i = 0; i < fields; i++) {
                String name = in.unpackString();
                switch (name) {
                    case "v":
                        version = in.unpackInt();
                        break;
                    case "instance_id":
                        instanceId = in.unpackLong();
                        break;
                    case "tier":
                        tier = parse(StorageTier.class, in.unpackString(), "tier");
                        break;
                    case "seq":
                        seq = in.unpackLong();
                        break;
                    case "ts":
                        ts = in.unpackLong();
                        break;
                    case "kind":
                        kind = parse(EventKind.class, in.unpackString(), "kind");
                        break;
                    case "hashes":
                        hashes = unpackHashes(in);
                        break;
                    default:
                        in.skipValue(); // a field from a newer writer
                }
            }
            if (in.hasNext()) {
                throw malformed("trailing bytes after the batch");
            }
            if (version == null || version != VERSION) {
                throw malformed("unsupported format version " + version + " (this reader knows " + VERSION + ")");
            }
            return new EventBatch(
                    require(instanceId, "instance_id"),
                    require(tier, "tier"),
                    require(seq, "seq"),
                    require(ts, "ts"),
                    require(kind, "kind"),
                    require(hashes, "hashes"));
        } catch (MessagePackException | IOException e) {
            throw new IllegalArgumentException("malformed event batch: " + e.getMessage(), e);
        }
    }

    private static List<SequenceHash> unpackHashes(MessageUnpacker in) throws IOException {
        int n = in.unpackArrayHeader();
        List<SequenceHash> hashes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            MessageFormat format = in.getNextFormat();
            if (format.getValueType() != ValueType.BINARY) {
                throw malformed("hashes[" + i + "] is a " + format.getValueType() + ", expected 16 binary bytes");
            }
            int length = in.unpackBinaryHeader();
            if (length != SequenceHash.BYTES) {
                throw malformed("hashes[" + i + "] has " + length + " bytes, expected " + SequenceHash.BYTES);
            }
            try {
                hashes.add(SequenceHash.fromBytes(in.readPayload(length)));
            } catch (IllegalArgumentException e) {
                throw malformed("hashes[" + i + "] is not a valid SequenceHash: " + e.getMessage());
            }
        }
        return hashes;
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value, String field) {
        try {
            return Enum.valueOf(type, value);
        } catch (IllegalArgumentException e) {
            throw malformed("field '" + field + "' has unknown value \"" + value + "\"");
        }
    }

    private static <T> T require(T value, String field) {
        if (value == null) {
            throw malformed("missing field '" + field + "'");
        }
        return value;
    }

    private static IllegalArgumentException malformed(String why) {
        return new IllegalArgumentException("malformed event batch: " + why);
    }
}
