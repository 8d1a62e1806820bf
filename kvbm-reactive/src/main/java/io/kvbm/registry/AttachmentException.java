package io.kvbm.registry;

/**
 * Thrown when a value type is attached to a {@link RegistrationHandle} in a mode that conflicts with how that type was
 * first attached.
 *
 * <p>A type is either <em>unique</em> (one value, replaced by later attachments) or <em>multiple</em> (a list that
 * grows); the first attachment of a type decides its mode for the lifetime of the registration.
 */
public final class AttachmentException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** Why an attachment was refused. */
    public enum Reason {
        /** {@link RegistrationHandle#attach(Class, Object)} on a type already attached as unique. */
        TYPE_ALREADY_REGISTERED_AS_UNIQUE,
        /** {@link RegistrationHandle#attachUnique(Class, Object)} on a type already attached as multiple. */
        TYPE_ALREADY_REGISTERED_AS_MULTIPLE
    }

    private final Reason reason;
    private final Class<?> type;

    AttachmentException(Reason reason, Class<?> type) {
        super("attachment type " + type.getName() + " is already registered as "
                + (reason == Reason.TYPE_ALREADY_REGISTERED_AS_UNIQUE ? "unique" : "multiple")
                + "; a type keeps the mode of its first attachment");
        this.reason = reason;
        this.type = type;
    }

    /**
     * Returns why the attachment was refused.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }

    /**
     * Returns the attached value type.
     *
     * @return the type
     */
    public Class<?> type() {
        return type;
    }
}
