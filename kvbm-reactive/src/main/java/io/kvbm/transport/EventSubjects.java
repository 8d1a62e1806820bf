package io.kvbm.transport;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The subjects cache events travel on.
 *
 * <ul>
 *   <li>{@value #EVENTS}: every worker's event batches (kvbm's default subject); a router subscribes to it.
 *   <li>{@value #RESYNC}{@code .<instanceId>}: resync requests for one worker, the instance id written as an unsigned
 *       decimal; that worker's event publishers subscribe to it.
 * </ul>
 *
 * A prefix, when given, is put in front with a dot ({@code tenant-a.kvbm.events}), so that several deployments can
 * share one NATS account (kvbm's {@code NatsConfig.subject_prefix}).
 */
public final class EventSubjects {

    /** The subject of event batches without a prefix. */
    public static final String EVENTS = "kvbm.events";

    /** The stem of the resync subjects without a prefix. */
    public static final String RESYNC = "kvbm.resync";

    private EventSubjects() {}

    /**
     * Returns the subject of event batches.
     *
     * @param prefix a prefix, or {@code null} for none
     * @return {@value #EVENTS} or {@code prefix.kvbm.events}
     * @throws IllegalArgumentException if the prefix is empty, has whitespace, wildcards, or leading or trailing dots
     */
    public static String events(@Nullable String prefix) {
        return prefixed(prefix, EVENTS);
    }

    /**
     * Returns the subject of resync requests for one worker.
     *
     * @param prefix a prefix, or {@code null} for none
     * @param instanceId the worker
     * @return {@code kvbm.resync.<instanceId>}, prefixed
     * @throws IllegalArgumentException if the prefix is not valid (see {@link #events})
     */
    public static String resync(@Nullable String prefix, long instanceId) {
        return prefixed(prefix, RESYNC + "." + Long.toUnsignedString(instanceId));
    }

    /**
     * Validates a prefix.
     *
     * @param prefix the prefix, or {@code null}
     * @return the prefix
     * @throws IllegalArgumentException if it is empty, has whitespace, wildcards, or leading or trailing dots
     */
    static @Nullable String checkPrefix(@Nullable String prefix) {
        if (prefix == null) {
            return null;
        }
        boolean bad = prefix.isEmpty() || prefix.startsWith(".") || prefix.endsWith(".") || prefix.contains("..");
        for (int i = 0; i < prefix.length() && !bad; i++) {
            char c = prefix.charAt(i);
            bad = Character.isWhitespace(c) || c == '*' || c == '>';
        }
        if (bad) {
            throw new IllegalArgumentException(
                    "subjectPrefix must be dot-separated non-empty tokens without whitespace " + "or wildcards, got '"
                            + prefix + "'");
        }
        return prefix;
    }

    static String prefixed(@Nullable String prefix, String subject) {
        Objects.requireNonNull(subject, "subject");
        return checkPrefix(prefix) == null ? subject : prefix + "." + subject;
    }
}
