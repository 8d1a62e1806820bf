package io.kvbm.stress;

import io.kvbm.block.StorageTier;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.DuplicationPolicy;
import io.kvbm.manager.LeakDetection;
import io.kvbm.manager.ManagerClosedException;
import io.kvbm.manager.StoreAudit;
import io.kvbm.testing.RecordingSubscriber;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/**
 * What the stress tests' states and arbiters share. States are built on the harness thread before the actors start,
 * so building them may subscribe freely; actors never block, and arbiters run after both actors returned, when every
 * operation of both has run (a racer that found the drain loop busy left its operation to the owner, which is the
 * other racer and drains before returning).
 */
final class Fixtures {

    /** Tokens per block; irrelevant to the races. */
    static final int BLOCK_SIZE = 4;

    private Fixtures() {}

    /** A manager without leak tracking (no {@code Cleaner} per guard: states are created by the million). */
    static BlockManager manager(int blocks) {
        return manager(blocks, DuplicationPolicy.ALLOW);
    }

    static BlockManager manager(int blocks, DuplicationPolicy duplication) {
        return builder(blocks).duplicationPolicy(duplication).build();
    }

    /** The stress tests' defaults: LRU, ALLOW, no leak tracking. */
    static BlockManager.Builder builder(int blocks) {
        return BlockManager.builder()
                .blockCount(blocks)
                .blockSize(BLOCK_SIZE)
                .tier(StorageTier.G1)
                .eviction(EvictionPolicy.lru())
                .leakDetection(LeakDetection.DISABLED);
    }

    /**
     * A one-value subscription's outcome: 1 = a value and {@code onComplete}, 2 = {@code ManagerClosedException},
     * 0 = no signal yet, 3 = anything else.
     */
    static int outcome(RecordingSubscriber<?> sub) {
        if (sub.isCompleted() && sub.values().size() == 1) {
            return 1;
        }
        if (sub.error() instanceof ManagerClosedException && sub.values().isEmpty()) {
            return 2;
        }
        return sub.isTerminated() || !sub.values().isEmpty() ? 3 : 0;
    }

    /** The value {@code mono} emits during {@code subscribe}: the manager is idle, so it runs inline. */
    static <T> T now(Mono<T> mono) {
        AtomicReference<T> value = new AtomicReference<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        mono.subscribe(value::set, error::set);
        if (value.get() == null) {
            throw new IllegalStateException("expected a value at once, got " + error.get());
        }
        return value.get();
    }

    /** One root hash per {@code i}. */
    static SequenceHash hash(int i) {
        return TestTokens.roots(0x5EED, i + 1).get(i);
    }

    /** Slots per state: RESET, MUTABLE, STAGED, PRIMARY, DUPLICATE, INACTIVE (read in the drain loop). */
    static int[] states(BlockManager m) {
        return StoreAudit.stateCounts(m);
    }

    /** The number of violated store invariants (0 when the books are consistent), read in the drain loop. */
    static int violations(BlockManager m) {
        return StoreAudit.violations(m).size();
    }
}
