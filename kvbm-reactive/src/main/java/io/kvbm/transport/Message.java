package io.kvbm.transport;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One message of an {@link EventSubscriber}: the subject it was published on and its payload.
 *
 * <p>A value: the payload is copied when the message is made and again each time it is read, so no holder of a
 * message can change what another one sees. Two messages are equal when their subjects and payload bytes are.
 *
 * @param subject the subject the message was published on
 * @param payload the payload bytes (a copy)
 */
public record Message(String subject, byte[] payload) {

    /**
     * Validates and copies the message.
     *
     * @param subject the subject
     * @param payload the payload (copied)
     */
    public Message {
        Objects.requireNonNull(subject, "subject");
        payload = Objects.requireNonNull(payload, "payload").clone();
    }

    /**
     * Returns a copy of the payload.
     *
     * @return the payload bytes, a fresh array the caller may change
     */
    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /**
     * Returns the payload's length without copying it.
     *
     * @return the number of payload bytes
     */
    public int size() {
        return payload.length;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Message
                && subject.equals(((Message) o).subject)
                && Arrays.equals(payload, ((Message) o).payload);
    }

    @Override
    public int hashCode() {
        return 31 * subject.hashCode() + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "Message[subject=" + subject + ", " + payload.length + " bytes]";
    }
}
