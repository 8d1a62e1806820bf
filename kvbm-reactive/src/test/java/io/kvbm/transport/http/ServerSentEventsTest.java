package io.kvbm.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventCodec;
import io.kvbm.event.EventKind;
import io.kvbm.testing.TestTokens;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SSE framing: what the server writes, and the client's parser on the line endings and splits it may meet. */
class ServerSentEventsTest {

    private static final EventBatch BATCH =
            new EventBatch(7, StorageTier.G2, 41, 1_000, EventKind.STORED, TestTokens.chain(0, 3));

    private static List<ServerSentEvents.Event> parse(String... chunks) {
        ServerSentEvents.Parser parser = new ServerSentEvents.Parser();
        List<ServerSentEvents.Event> events = new ArrayList<>();
        for (String chunk : chunks) {
            events.addAll(parser.feed(chunk.getBytes(StandardCharsets.UTF_8)));
        }
        return events;
    }

    @Test
    void encode_resumableFrame_idEventAndBase64MessagePackData() {
        String text = ServerSentEvents.encode(new Frame(BATCH, true, false));

        String data = Base64.getEncoder().encodeToString(EventCodec.encode(BATCH));
        assertThat(text).isEqualTo("id: 41\nevent: batch\ndata: " + data + "\n\n");
    }

    @Test
    void encode_snapshotFrameBeforeItsLast_noId() {
        assertThat(ServerSentEvents.encode(new Frame(BATCH, false, true))).startsWith("event: batch\ndata: ");
    }

    @Test
    void parse_encodedFrame_roundTrips() {
        List<ServerSentEvents.Event> events = parse(ServerSentEvents.encode(new Frame(BATCH, true, false)));

        assertThat(events).hasSize(1);
        assertThat(events.get(0).id()).isEqualTo("41");
        assertThat(events.get(0).type()).isEqualTo("batch");
        assertThat(EventCodec.decode(Base64.getDecoder().decode(events.get(0).data())))
                .isEqualTo(BATCH);
    }

    @Test
    void parse_chunksSplitAnywhere_sameEvents() {
        // TCP delivers the stream in arbitrary pieces: a split inside a field name, a value or a line ending must not
        // matter.
        String stream = "retry: 1000\n\n:\n\nid: 1\nevent: batch\ndata: AAAA\r\n\r\nevent: batch\rdata: BB\r\r";
        List<ServerSentEvents.Event> whole = parse(stream);
        for (int cut = 1; cut < stream.length(); cut++) {
            assertThat(parse(stream.substring(0, cut), stream.substring(cut)))
                    .as("split at %d", cut)
                    .isEqualTo(whole);
        }
        assertThat(whole)
                .containsExactly(
                        new ServerSentEvents.Event("1", "batch", "AAAA"),
                        new ServerSentEvents.Event(null, "batch", "BB"));
    }

    @Test
    void parse_commentsRetryAndDatalessEvents_dispatchNothing() {
        assertThat(parse(":\n\nretry: 10\n\nid: 5\n\nevent: batch\n\n")).isEmpty();
    }

    @Test
    void parse_multilineDataNoSpaceAndDefaultType_perTheSpec() {
        assertThat(parse("data:a\ndata: b\nunknown: x\n\n"))
                .containsExactly(new ServerSentEvents.Event(null, "message", "a\nb"));
    }

    @Test
    void parse_idWithNul_ignored() {
        assertThat(parse("id: 1\0\ndata: x\n\n")).containsExactly(new ServerSentEvents.Event(null, "message", "x"));
    }
}
