package io.kvbm.transport.http;

import io.kvbm.event.EventCodec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The text/event-stream framing of {@code /events} (the "HTTP (Server-Sent Events)" section of {@code docs/events.md}):
 * the server's encoder and the client's incremental parser.
 *
 * <pre>
 * id: 42                      (only on resumable frames: the batch's seq)
 * event: batch
 * data: base64(EventCodec.encode(batch))
 * (blank line)
 * </pre>
 *
 * The parser follows the HTML "event stream interpretation" rules the protocol needs: lines end with LF, CRLF or CR;
 * a line starting with {@code :} is a comment; {@code field: value} loses one space after the colon; {@code data}
 * lines accumulate; a blank line dispatches the event; an event without data is not dispatched.
 */
final class ServerSentEvents {

    /** The {@code event:} name of a batch. */
    static final String BATCH_EVENT = "batch";

    private ServerSentEvents() {}

    /** Encodes one frame. */
    static String encode(Frame frame) {
        String data = Base64.getEncoder().encodeToString(EventCodec.encode(frame.batch()));
        StringBuilder text = new StringBuilder(data.length() + 48);
        if (frame.resumable()) {
            text.append("id: ").append(frame.batch().seq()).append('\n');
        }
        return text.append("event: ")
                .append(BATCH_EVENT)
                .append('\n')
                .append("data: ")
                .append(data)
                .append("\n\n")
                .toString();
    }

    /**
     * One dispatched event.
     *
     * @param id the {@code id} field of this event, or null if it had none
     * @param type the {@code event} field, {@code "message"} by default
     * @param data the data lines joined with LF
     */
    record Event(@Nullable String id, String type, String data) {}

    /** Splits a byte stream into events; one parser per connection, fed chunk by chunk from one thread at a time. */
    static final class Parser {

        private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        private final StringBuilder data = new StringBuilder();
        private @Nullable String id;
        private @Nullable String type;
        private boolean afterCr;

        /** Feeds the next chunk; returns the events it completes, in order. */
        List<Event> feed(byte[] chunk) {
            List<Event> events = new ArrayList<>(1);
            for (byte b : chunk) {
                if (afterCr) {
                    afterCr = false;
                    if (b == '\n') {
                        continue; // the LF of a CRLF
                    }
                }
                if (b == '\n' || b == '\r') {
                    afterCr = b == '\r';
                    Event event = endOfLine(new String(line.toByteArray(), StandardCharsets.UTF_8));
                    line.reset();
                    if (event != null) {
                        events.add(event);
                    }
                } else {
                    line.write(b);
                }
            }
            return events;
        }

        private @Nullable Event endOfLine(String text) {
            if (text.isEmpty()) {
                return dispatch();
            }
            if (text.charAt(0) == ':') {
                return null; // a comment: heartbeats
            }
            int colon = text.indexOf(':');
            String field = colon < 0 ? text : text.substring(0, colon);
            String value = colon < 0 ? "" : text.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "data":
                    data.append(value).append('\n');
                    break;
                case "event":
                    type = value;
                    break;
                case "id":
                    if (value.indexOf('\0') < 0) {
                        id = value;
                    }
                    break;
                default:
                // "retry" and unknown fields: the reconnection delay is the client's Retry policy
            }
            return null;
        }

        private @Nullable Event dispatch() {
            String eventId = id;
            String eventType = type == null || type.isEmpty() ? "message" : type;
            id = null;
            type = null;
            if (data.length() == 0) {
                return null;
            }
            String payload = data.substring(0, data.length() - 1);
            data.setLength(0);
            return new Event(eventId, eventType, payload);
        }
    }
}
