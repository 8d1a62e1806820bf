package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

/**
 * Test access to a manager's internal books: the store's invariant audit, its per-state slot counts, and the book
 * checks the manager invariant tests assert with them.
 *
 * <p>Lives in the manager's package (test sources) so that tests of any package, and the shared
 * {@link io.kvbm.testing.BlockInvariantsExtension}, can check the store without making these hooks public API.
 */
public final class StoreAudit {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private StoreAudit() {}

    /** Runs the store audit in the drain loop and returns the violated invariants (empty when consistent). */
    public static List<String> violations(BlockManager manager) {
        return manager.audit().block(TIMEOUT);
    }

    /** Slots per state, in the order RESET, MUTABLE, STAGED, PRIMARY, DUPLICATE, INACTIVE. */
    public static int[] stateCounts(BlockManager manager) {
        return manager.stateCounts().block(TIMEOUT);
    }

    /** Slots held by a guard: MUTABLE + STAGED + PRIMARY + DUPLICATE. */
    public static int heldBlocks(BlockManager manager) {
        int[] c = stateCounts(manager);
        return c[1] + c[2] + c[3] + c[4];
    }

    /** Slot counts in the order RESET, MUTABLE, STAGED, PRIMARY, DUPLICATE, INACTIVE, for {@link #assertStates}. */
    public static int[] counts(int reset, int mutable, int staged, int primary, int duplicate, int inactive) {
        return new int[] {reset, mutable, staged, primary, duplicate, inactive};
    }

    /**
     * Checks every book of the manager against its slot states (kvbm-core §8 invariant 1): the audit is clean, the
     * states sum to the block count, and the published gauges agree with the states.
     *
     * @return the slot counts, as {@link #stateCounts}
     */
    public static int[] assertBooks(BlockManager m) {
        assertThat(violations(m)).as("store audit of %s", m).isEmpty();
        int[] c = stateCounts(m);
        assertThat(c[0] + c[1] + c[2] + c[3] + c[4] + c[5])
                .as("slots in exactly one state")
                .isEqualTo(m.totalBlocks());
        BlockManagerStats s = m.stats();
        assertThat(m.resetBlocks()).as("reset pool").isEqualTo(c[0]);
        assertThat(s.resetPoolSize()).as("reset gauge").isEqualTo(c[0]);
        assertThat(m.inactiveBlocks()).as("inactive pool").isEqualTo(c[5]);
        assertThat(s.inactivePoolSize()).as("inactive gauge").isEqualTo(c[5]);
        assertThat(m.availableBlocks()).as("available").isEqualTo(c[0] + c[5]);
        assertThat(s.inflightMutable()).as("inflight mutable gauge").isEqualTo(c[1]);
        return c;
    }

    /** Checks the books ({@link #assertBooks}) and that the slot counts are {@code expected} ({@link #counts}). */
    public static void assertStates(BlockManager m, int[] expected) {
        assertThat(assertBooks(m))
                .as("RESET, MUTABLE, STAGED, PRIMARY, DUPLICATE, INACTIVE of %s", m)
                .containsExactly(expected);
    }
}
