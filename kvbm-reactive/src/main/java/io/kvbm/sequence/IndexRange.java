package io.kvbm.sequence;

import java.util.stream.IntStream;

/**
 * A half-open range {@code [start, end)} of block indices or sequence positions: the Java form of kvbm's
 * {@code Range<usize>}.
 *
 * <p>Returned by {@link BlockSequence#extendTokens(int[])} (the blocks a call completed) and by the position helpers
 * and mutations of {@link ExternalBlockAssignments}. An empty range still has a place ({@code start == end}): for
 * example {@code [2, 2)} says "nothing new, and the next index would have been 2".
 *
 * @param start the first index in the range, at least 0
 * @param end one past the last index, at least {@code start}
 */
public record IndexRange(int start, int end) {

    /**
     * Validates the bounds.
     *
     * @param start the first index
     * @param end one past the last index
     * @throws IllegalArgumentException unless {@code 0 <= start <= end}
     */
    public IndexRange {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException(
                    "an IndexRange needs 0 <= start <= end, got [" + start + ", " + end + ")");
        }
    }

    /**
     * Returns the range {@code [start, end)}.
     *
     * @param start the first index, at least 0
     * @param end one past the last index, at least {@code start}
     * @return the range
     * @throws IllegalArgumentException unless {@code 0 <= start <= end}
     */
    public static IndexRange of(int start, int end) {
        return new IndexRange(start, end);
    }

    /**
     * Returns the empty range {@code [at, at)}.
     *
     * @param at where the range sits, at least 0
     * @return an empty range
     * @throws IllegalArgumentException if {@code at} is negative
     */
    public static IndexRange empty(int at) {
        return new IndexRange(at, at);
    }

    /**
     * Returns the number of indices in the range.
     *
     * @return {@code end - start}
     */
    public int size() {
        return end - start;
    }

    /**
     * Returns whether the range holds no index.
     *
     * @return {@code start == end}
     */
    public boolean isEmpty() {
        return start == end;
    }

    /**
     * Returns whether {@code index} lies in the range.
     *
     * @param index any value
     * @return {@code start <= index < end}
     */
    public boolean contains(int index) {
        return index >= start && index < end;
    }

    /**
     * Returns the indices shared by this range and {@code other}.
     *
     * @param other another range
     * @return the overlap, or an empty range when the two are disjoint
     */
    public IndexRange intersect(IndexRange other) {
        int s = Math.max(start, other.start);
        int e = Math.min(end, other.end);
        return e > s ? new IndexRange(s, e) : empty(s);
    }

    /**
     * Returns the indices in ascending order.
     *
     * @return a stream of {@code start, start + 1, ..., end - 1}
     */
    public IntStream stream() {
        return IntStream.range(start, end);
    }

    /**
     * Returns the range in interval notation.
     *
     * @return e.g. {@code "[2, 4)"}
     */
    @Override
    public String toString() {
        return "[" + start + ", " + end + ")";
    }
}
