package io.kvbm.manager;

/**
 * The single-use state word shared by the guards (reactor-pool's {@code AbstractPooledRef} discipline).
 *
 * <p>A guard starts {@link #LIVE}; a transition (stage, reset, register) CASes it to {@link #CONSUMED} before building
 * the successor, and {@link java.lang.AutoCloseable#close()} CASes it to {@link #CLOSED} before releasing the slot.
 * Whoever loses a CAS does nothing (close) or throws (transitions), so a slot is never released twice.
 */
final class GuardState {

    static final int LIVE = 0;
    static final int CONSUMED = 1;
    static final int CLOSED = 2;

    private GuardState() {}

    static String name(int state) {
        switch (state) {
            case LIVE:
                return "live";
            case CONSUMED:
                return "consumed";
            default:
                return "closed";
        }
    }

    static IllegalStateException misuse(String guard, int blockId, int state, String operation) {
        return new IllegalStateException(
                guard + " of block " + blockId + " is " + name(state) + "; " + operation + " needs a live guard");
    }
}
