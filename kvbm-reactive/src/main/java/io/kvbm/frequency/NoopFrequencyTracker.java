package io.kvbm.frequency;

import io.kvbm.tokens.SequenceHash;
import java.util.List;

/** The tracker of registries built without frequency tracking. */
enum NoopFrequencyTracker implements FrequencyTracker {
    INSTANCE;

    @Override
    public void touch(SequenceHash hash) {}

    @Override
    public void touchAll(List<SequenceHash> hashes) {}

    @Override
    public int count(SequenceHash hash) {
        return 0;
    }

    @Override
    public String toString() {
        return "FrequencyTracker.noop()";
    }
}
