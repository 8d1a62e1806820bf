package io.kvbm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.manager.BlockManager;
import io.kvbm.manager.StoreAudit;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestInstanceFactoryContext;
import org.junit.jupiter.api.extension.TestInstancePreConstructCallback;

/**
 * Checks the books of every manager a test created through {@link TestManagers}, after the test (Caffeine's
 * {@code CacheValidationInterceptor}): the store's internal invariants hold, and every block is back in the reset or
 * inactive pool — a test that leaves a guard open fails here, so "nothing is lost" is checked by every test.
 *
 * <p>Tests that deliberately end with blocks held (for example to test leak detection) annotate themselves with
 * {@link HeldBlocksAllowed}.
 */
public final class BlockInvariantsExtension implements TestInstancePreConstructCallback, AfterEachCallback {

    /**
     * Forgets managers of earlier, unchecked code before the test's (outermost) instance is built, not in
     * {@code beforeEach}: JUnit constructs the instance first, and a manager created by a field initializer would
     * otherwise be forgotten before its test ran and never be checked.
     */
    @Override
    public void preConstructTestInstance(TestInstanceFactoryContext factoryContext, ExtensionContext context) {
        if (factoryContext.getOuterInstance().isEmpty()) {
            TestManagers.drainCreated();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        boolean heldAllowed = context.getTestMethod()
                        .map(m -> m.isAnnotationPresent(HeldBlocksAllowed.class))
                        .orElse(false)
                || context.getTestClass()
                        .map(c -> c.isAnnotationPresent(HeldBlocksAllowed.class))
                        .orElse(false);
        List<BlockManager> managers = TestManagers.drainCreated();
        for (BlockManager manager : managers) {
            assertThat(StoreAudit.violations(manager))
                    .as("store invariants of %s", manager)
                    .isEmpty();
            if (!heldAllowed) {
                assertThat(manager.resetBlocks() + manager.inactiveBlocks())
                        .as(
                                "blocks back in the reset or inactive pool at the end of the test (%s): "
                                        + "a guard was left open",
                                manager)
                        .isEqualTo(manager.totalBlocks());
                assertThat(manager.stats().inflightImmutable())
                        .as("open ImmutableBlock handles of %s", manager)
                        .isZero();
            }
            assertThat(manager.resetBlocks() + manager.inactiveBlocks() + StoreAudit.heldBlocks(manager))
                    .as("reset + inactive + held == total for %s", manager)
                    .isEqualTo(manager.totalBlocks());
        }
    }
}
