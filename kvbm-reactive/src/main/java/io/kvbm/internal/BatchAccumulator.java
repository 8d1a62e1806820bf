package io.kvbm.internal;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Turns a sequence of single-hash events into {@link EventBatch}es: one kind per batch, at most {@code maxBatchSize}
 * hashes, hashes ordered by position, {@code seq} from 0 without gaps. Single-threaded: the owner serializes calls
 * (a manager's drain loop, or {@code EventBatcher}'s serialized operator).
 *
 * <p>A batch is closed when an event of another kind arrives (so the relative order of stores and removals survives
 * at batch granularity), when it reaches {@code maxBatchSize}, and when the owner calls {@link #flush()} (its periodic
 * window, or the end of the stream). Sorting is stable, so blocks at one position keep their arrival order (kvbm's
 * batcher does the same).
 */
public final class BatchAccumulator {

    private static final Comparator<SequenceHash> ASCENDING = Comparator.comparingInt(SequenceHash::position);
    private static final Comparator<SequenceHash> DESCENDING = Comparator.comparingInt(h -> -h.position());

    private final long instanceId;
    private final StorageTier tier;
    private final int maxBatchSize;
    private final LongSupplier clockMillis;
    private final Consumer<EventBatch> downstream;

    private final ArrayList<SequenceHash> hashes = new ArrayList<>();
    private EventKind kind = EventKind.STORED;
    private long nextSeq;

    /**
     * Creates an accumulator.
     *
     * @param instanceId the worker id stamped on every batch
     * @param tier the tier stamped on every batch
     * @param maxBatchSize the largest batch, at least 1
     * @param clockMillis the clock of the batch timestamps
     * @param downstream receives each closed batch, in {@code seq} order
     */
    public BatchAccumulator(
            long instanceId,
            StorageTier tier,
            int maxBatchSize,
            LongSupplier clockMillis,
            Consumer<EventBatch> downstream) {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be positive, got " + maxBatchSize);
        }
        this.instanceId = instanceId;
        this.tier = tier;
        this.maxBatchSize = maxBatchSize;
        this.clockMillis = clockMillis;
        this.downstream = downstream;
    }

    /**
     * Adds one event, closing the current batch first if it is of another kind, and after if it is full.
     *
     * @param eventKind {@link EventKind#STORED}, {@link EventKind#REMOVED} or {@link EventKind#CLEARED}
     * @param hash the hash
     */
    public void add(EventKind eventKind, SequenceHash hash) {
        if (eventKind != kind && !hashes.isEmpty()) {
            flush();
        }
        kind = eventKind;
        hashes.add(hash);
        if (hashes.size() >= maxBatchSize) {
            flush();
        }
    }

    /** Closes the current batch, if it has any hash, and hands it downstream. */
    public void flush() {
        if (hashes.isEmpty()) {
            return;
        }
        hashes.sort(kind == EventKind.STORED ? ASCENDING : DESCENDING);
        EventBatch batch = new EventBatch(instanceId, tier, nextSeq++, clockMillis.getAsLong(), kind, hashes);
        hashes.clear();
        downstream.accept(batch);
    }

    /**
     * Flushes, then emits a batch without hashes (a {@link EventKind#SHUTDOWN}) as the next {@code seq}.
     *
     * @param controlKind the kind of the hash-less batch
     */
    public void emitControl(EventKind controlKind) {
        flush();
        downstream.accept(new EventBatch(instanceId, tier, nextSeq++, clockMillis.getAsLong(), controlKind, List.of()));
    }

    /**
     * Returns the batches restating {@code content} as of the last batch emitted: a hash-less
     * {@link EventKind#CLEARED} then {@link EventKind#STORED} batches of at most {@code maxBatchSize}, all carrying the
     * {@code seq} of the last emitted batch (−1 if none) so the next live batch continues the sequence. The caller
     * MUST {@link #flush()} first, so that no event counted in {@code content} is still pending.
     *
     * @param content the hashes the tier holds
     * @return the snapshot batches, at least the {@code CLEARED} one
     */
    public List<EventBatch> snapshot(List<SequenceHash> content) {
        long seq = nextSeq - 1;
        long now = clockMillis.getAsLong();
        List<SequenceHash> sorted = new ArrayList<>(content);
        sorted.sort(ASCENDING);
        List<EventBatch> batches = new ArrayList<>(1 + sorted.size() / maxBatchSize + 1);
        batches.add(new EventBatch(instanceId, tier, seq, now, EventKind.CLEARED, List.of()));
        for (int from = 0; from < sorted.size(); from += maxBatchSize) {
            batches.add(new EventBatch(
                    instanceId,
                    tier,
                    seq,
                    now,
                    EventKind.STORED,
                    sorted.subList(from, Math.min(sorted.size(), from + maxBatchSize))));
        }
        return batches;
    }

    /**
     * Returns whether a batch is open.
     *
     * @return {@code true} if events are waiting for a flush
     */
    public boolean hasPending() {
        return !hashes.isEmpty();
    }

    /** Drops the open batch without emitting it (nobody listens any more). */
    public void discard() {
        hashes.clear();
    }

    /**
     * Returns the {@code seq} of the last batch emitted.
     *
     * @return the last seq, or −1 before the first batch
     */
    public long lastSeq() {
        return nextSeq - 1;
    }
}
