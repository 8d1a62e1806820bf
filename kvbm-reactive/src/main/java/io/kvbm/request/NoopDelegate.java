package io.kvbm.request;

/** The shared no-op delegate. */
enum NoopDelegate implements SequenceDelegate {
    INSTANCE;

    @Override
    public void onEvent(SequenceEvent event) {}

    @Override
    public String toString() {
        return "SequenceDelegate.noop()";
    }
}
