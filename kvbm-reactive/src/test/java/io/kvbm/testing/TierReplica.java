package io.kvbm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.tokens.SequenceHash;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a remote consumer knows about one tier, built by applying its batches with the consumer rule of
 * {@code docs/events.md}, and checking the stream as it goes: no {@code seq} gap, no store of a held hash
 * (a duplicate), no removal of an unknown one (a gap), only snapshot batches repeating a {@code seq}.
 */
public final class TierReplica {

    private final Set<SequenceHash> held = new HashSet<>();
    private long lastSeq = Long.MIN_VALUE;
    private int snapshots;
    private boolean shutdown;

    /** Applies batches in order. */
    public TierReplica applyAll(List<EventBatch> batches) {
        batches.forEach(this::apply);
        return this;
    }

    /** Applies one batch. */
    public void apply(EventBatch batch) {
        if (batch.startsSnapshot()) {
            held.clear();
            lastSeq = batch.seq();
            snapshots++;
            return;
        }
        if (batch.seq() == lastSeq) {
            assertThat(batch.kind())
                    .as("only snapshot batches repeat a seq (%s)", batch)
                    .isEqualTo(EventKind.STORED);
        } else {
            assertThat(batch.seq()).as("no seq gap").isEqualTo(lastSeq + 1);
            lastSeq = batch.seq();
        }
        for (SequenceHash hash : batch.hashes()) {
            if (batch.kind() == EventKind.STORED) {
                assertThat(held.add(hash))
                        .as("stored %s twice (duplicate)", hash)
                        .isTrue();
            } else if (batch.kind().removes()) {
                assertThat(held.remove(hash))
                        .as("removed %s never stored (gap)", hash)
                        .isTrue();
            }
        }
        if (batch.kind() == EventKind.SHUTDOWN) {
            held.clear();
            shutdown = true;
        }
    }

    /** The hashes the tier holds, as far as the batches tell. */
    public Set<SequenceHash> held() {
        return Set.copyOf(held);
    }

    /** The seq of the last batch applied. */
    public long lastSeq() {
        return lastSeq;
    }

    /** How many snapshots the stream started. */
    public int snapshots() {
        return snapshots;
    }

    /** Whether a SHUTDOWN batch was applied. */
    public boolean isShutdown() {
        return shutdown;
    }
}
