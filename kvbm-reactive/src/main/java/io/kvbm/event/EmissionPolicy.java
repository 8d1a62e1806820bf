package io.kvbm.event;

import io.kvbm.tokens.SequenceHash;

/**
 * Decides which hashes produce events, by position.
 *
 * <p>A policy MUST depend only on the hash itself (in practice its position), so that a hash accepted when stored is
 * also accepted when removed and every consumer sees matching pairs. {@link #all()} emits everything;
 * {@link #powerOfTwo()} emits only "landmark" positions (16, 32, …, 65536), which lets a global hub narrow a lookup to
 * the workers holding a sequence's landmarks without tracking every block (kvbm's {@code PowerOfTwoPolicy}).
 */
@FunctionalInterface
public interface EmissionPolicy {

    /**
     * Returns whether events for {@code hash} are emitted.
     *
     * @param hash the hash of a stored or removed block
     * @return {@code true} to emit
     */
    boolean shouldEmit(SequenceHash hash);

    /**
     * Returns the policy that emits every event (the default).
     *
     * @return the shared policy
     */
    static EmissionPolicy all() {
        return hash -> true;
    }

    /**
     * Returns the power-of-two policy with kvbm's default range: positions 16, 32, …, 65536.
     *
     * @return the policy
     */
    static EmissionPolicy powerOfTwo() {
        return powerOfTwo(16, 65536);
    }

    /**
     * Returns a policy that emits only positions that are powers of two within {@code [min, max]}. Position 0 is not a
     * power of two and is never emitted.
     *
     * @param min the smallest position emitted, at least 1
     * @param max the largest position emitted, at least {@code min}
     * @return the policy
     * @throws IllegalArgumentException if {@code min < 1} or {@code max < min}
     */
    static EmissionPolicy powerOfTwo(int min, int max) {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException(
                    "powerOfTwo range must satisfy 1 <= min <= max, got min=" + min + ", max=" + max);
        }
        return hash -> {
            int p = hash.position();
            return p >= min && p <= max && Integer.bitCount(p) == 1;
        };
    }
}
