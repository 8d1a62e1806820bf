package io.kvbm.examples.simulator;

import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One request of a Mooncake-format trace: when it arrives, how long its prompt and its answer are, and the content
 * hash of each prompt block.
 *
 * <p>{@code hashIds[i]} identifies the content of prompt block {@code i} (512 tokens in the public traces). Two requests
 * share a cached block at position {@code i} only if they agree on every id up to and including {@code i}: the block's
 * identity is the chain {@link #sequenceHashes()} builds, {@code root(id0).extend(id1)...extend(idi)}.
 *
 * @param timestamp arrival time in milliseconds since the start of the trace
 * @param inputLength prompt length in tokens
 * @param outputLength answer length in tokens
 * @param hashIds the content hash of each prompt block, in order; never modified (the record keeps its own copy)
 */
public record TraceRecord(long timestamp, int inputLength, int outputLength, long[] hashIds) {

    /**
     * Validates and copies.
     *
     * @param timestamp not negative
     * @param inputLength not negative
     * @param outputLength not negative
     * @param hashIds not null
     */
    public TraceRecord {
        if (timestamp < 0) {
            throw new IllegalArgumentException("timestamp must be >= 0, got " + timestamp);
        }
        if (inputLength < 0) {
            throw new IllegalArgumentException("input_length must be >= 0, got " + inputLength);
        }
        if (outputLength < 0) {
            throw new IllegalArgumentException("output_length must be >= 0, got " + outputLength);
        }
        hashIds = Objects.requireNonNull(hashIds, "hashIds").clone();
    }

    /**
     * Returns a copy of the block content hashes.
     *
     * @return a new array
     */
    @Override
    public long[] hashIds() {
        return hashIds.clone();
    }

    /**
     * Returns the number of prompt blocks.
     *
     * @return {@code hashIds().length}
     */
    public int blocks() {
        return hashIds.length;
    }

    /**
     * Returns the content hash of prompt block {@code i} without copying the array.
     *
     * @param i the block position
     * @return the id
     */
    public long hashId(int i) {
        return hashIds[i];
    }

    /**
     * Returns the sequence hash of every prompt block: position {@code i} is {@code root(hashIds[0])} extended by
     * {@code hashIds[1..i]}, so a block's identity covers its whole prefix.
     *
     * @return one hash per block, in order
     */
    public List<SequenceHash> sequenceHashes() {
        List<SequenceHash> hashes = new ArrayList<>(hashIds.length);
        SequenceHash h = null;
        for (long id : hashIds) {
            h = h == null ? SequenceHash.root(id) : h.extend(id);
            hashes.add(h);
        }
        return hashes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TraceRecord r
                && r.timestamp == timestamp
                && r.inputLength == inputLength
                && r.outputLength == outputLength
                && Arrays.equals(r.hashIds, hashIds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(timestamp, inputLength, outputLength) * 31 + Arrays.hashCode(hashIds);
    }

    @Override
    public String toString() {
        return "TraceRecord[timestamp=" + timestamp + ", input_length=" + inputLength + ", output_length="
                + outputLength + ", hash_ids=" + Arrays.toString(hashIds) + "]";
    }
}
