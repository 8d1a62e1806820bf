package io.kvbm.manager;

import java.time.Duration;
import java.util.List;

/**
 * Test access to a manager's internal books: the store's invariant audit and its per-state slot counts.
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
}
