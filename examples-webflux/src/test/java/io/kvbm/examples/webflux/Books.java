package io.kvbm.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvbm.manager.BlockManager;
import io.kvbm.manager.BlockManagerStats;
import java.time.Duration;

/** The end-of-test check that every block the server handed out came back. */
final class Books {

    private Books() {}

    /**
     * Asserts, within {@code within}, that every block is in the reset or the inactive pool, no allocation waits and
     * no guard is open. Waiting is needed because a release handed to a busy drain loop is applied a moment later.
     */
    static void assertBalanced(BlockManager manager, Duration within) {
        await("the books of " + manager).atMost(within).untilAsserted(() -> {
            BlockManagerStats stats = manager.stats();
            assertThat(manager.resetBlocks() + manager.inactiveBlocks())
                    .as("reset + inactive blocks (%s)", stats)
                    .isEqualTo(manager.totalBlocks());
            assertThat(manager.pendingAllocations()).as("waiting allocations").isZero();
            assertThat(stats.inflightMutable()).as("open mutable blocks").isZero();
            assertThat(stats.inflightImmutable()).as("open immutable handles").isZero();
            assertThat(stats.leakedBlocks())
                    .as("blocks returned by the leak detector")
                    .isZero();
        });
    }
}
