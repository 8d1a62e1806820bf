package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * {@link BlockManager#closeAll} and {@link BlockManager#closeAllMutable}: the effect of {@code close()} on each guard,
 * with this manager's releases batched into one drain-loop step. Every test compares the books with what closing one
 * by one would have left.
 */
class BulkCloseTest {

    @Test
    void closeAll_lastReferences_cachesEveryBlockInReleaseOrder() {
        BlockManager m = TestManagers.create(4);
        List<SequenceHash> chain = TestTokens.chain(0, 4);
        List<ImmutableBlock> handles = TestBlocks.register(m, chain);

        m.closeAll(handles);

        assertThat(m.inactiveBlocks()).isEqualTo(4);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
        // cached, so a match finds all of them again
        List<ImmutableBlock> again = TestBlocks.match(m, chain);
        assertThat(again).hasSize(4);
        m.closeAll(again);
        assertThat(m.inactiveBlocks()).isEqualTo(4);
    }

    @Test
    void closeAll_referencesThatAreNotTheLast_onlyDropTheReference() {
        BlockManager m = TestManagers.create(3);
        List<SequenceHash> chain = TestTokens.chain(0, 3);
        List<ImmutableBlock> held = TestBlocks.register(m, chain);
        List<ImmutableBlock> shared = TestBlocks.match(m, chain);
        assertThat(m.stats().inflightImmutable()).isEqualTo(6);

        m.closeAll(shared);

        assertThat(m.stats().inflightImmutable()).isEqualTo(3);
        assertThat(m.inactiveBlocks()).isZero();
        assertThat(held).allSatisfy(h -> assertThat(h.useCount()).isEqualTo(1));
        m.closeAll(held);
        assertThat(m.inactiveBlocks()).isEqualTo(3);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    /**
     * Found by the model-based test: a duplicate's last release also drops its hold on the primary, so a later handle of
     * that primary in the same batch holds the primary's last reference, as with {@code close()} one by one, and the
     * primary enters the inactive pool at that handle's turn, after the blocks released before it.
     */
    @Test
    void closeAll_duplicateBeforeItsPrimary_cachesThePrimaryAtTheTurnOfItsLastHandle() {
        for (boolean batch : new boolean[] {false, true}) {
            BlockManager m = TestManagers.create(3, DuplicationPolicy.ALLOW, EvictionPolicy.lru());
            List<SequenceHash> roots = TestTokens.roots(7, 2);
            SequenceHash p = roots.get(0);
            SequenceHash x = roots.get(1);
            ImmutableBlock primary = TestBlocks.register(m, p);
            ImmutableBlock duplicate = TestBlocks.register(m, p);
            ImmutableBlock other = TestBlocks.register(m, x);
            assertThat(duplicate.blockId()).isNotEqualTo(primary.blockId());

            List<ImmutableBlock> order = List.of(duplicate, other, primary);
            if (batch) {
                m.closeAll(order);
            } else {
                order.forEach(ImmutableBlock::close);
            }

            assertThat(m.resetBlocks())
                    .as("batch %s: the duplicate's slot", batch)
                    .isEqualTo(1);
            assertThat(m.inactiveBlocks()).as("batch %s", batch).isEqualTo(2);
            // LRU: x entered the inactive pool before p, so x is the first victim
            Allocation allocation = m.allocateWithEvictions(2).block(TestBlocks.TIMEOUT);
            assertThat(allocation.evicted()).as("batch %s", batch).containsExactly(x);
            TestBlocks.closeAll(allocation.blocks());
            assertThat(StoreAudit.violations(m)).isEmpty();
        }
    }

    @Test
    void closeAll_closedHandlesAndRepeats_areSkippedAsCloseWould() {
        BlockManager m = TestManagers.create(2);
        List<ImmutableBlock> handles = TestBlocks.register(m, TestTokens.chain(0, 2));
        handles.get(0).close();
        List<ImmutableBlock> withRepeats = new ArrayList<>(handles);
        withRepeats.addAll(handles);

        m.closeAll(withRepeats);

        assertThat(m.inactiveBlocks()).isEqualTo(2);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    void closeAll_handlesOfAnotherManager_areClosedOneByOne() {
        BlockManager m = TestManagers.create(2);
        BlockManager other = TestManagers.create(2);
        List<ImmutableBlock> mixed = new ArrayList<>(TestBlocks.register(m, TestTokens.chain(0, 2)));
        mixed.addAll(TestBlocks.register(other, TestTokens.chain(100, 2)));

        m.closeAll(mixed);

        assertThat(m.inactiveBlocks()).isEqualTo(2);
        assertThat(other.inactiveBlocks()).isEqualTo(2);
        assertThat(StoreAudit.violations(m)).isEmpty();
        assertThat(StoreAudit.violations(other)).isEmpty();
    }

    @Test
    void closeAll_aNullElement_closesNothing() {
        BlockManager m = TestManagers.create(2);
        List<ImmutableBlock> handles = TestBlocks.register(m, TestTokens.chain(0, 2));
        List<ImmutableBlock> withNull = Arrays.asList(handles.get(0), null, handles.get(1));

        assertThatThrownBy(() -> m.closeAll(withNull))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("handles[1]");

        assertThat(m.stats().inflightImmutable()).isEqualTo(2);
        m.closeAll(handles);
        assertThat(m.inactiveBlocks()).isEqualTo(2);
    }

    @Test
    void closeAll_whileTheLoopIsBusy_isQueuedAsOneOperationAndRunsBeforeTheLoopLetsGo() {
        BlockManager m = TestManagers.create(3);
        List<ImmutableBlock> handles = TestBlocks.register(m, TestTokens.chain(0, 2));
        AtomicReference<Integer> inactiveSeenInOnNext = new AtomicReference<>();

        // onNext of an allocation runs inside the loop: the bulk close must be queued, not run re-entrantly
        MutableBlock block = m.allocate()
                .doOnNext(b -> {
                    m.closeAll(handles);
                    inactiveSeenInOnNext.set(m.inactiveBlocks());
                })
                .block(TestBlocks.TIMEOUT);

        assertThat(inactiveSeenInOnNext.get()).isZero();
        assertThat(m.inactiveBlocks()).isEqualTo(2);
        block.close();
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    void closeAllMutable_returnsEverySlotAndServesAWaitingAllocation() {
        BlockManager m = TestManagers.create(4);
        List<MutableBlock> blocks = TestBlocks.allocate(m, 4);
        AtomicReference<List<MutableBlock>> waiter = new AtomicReference<>();
        m.allocate(3).subscribe(waiter::set);
        assertThat(m.pendingAllocations()).isEqualTo(1);

        m.closeAllMutable(blocks);

        assertThat(waiter.get()).hasSize(3);
        assertThat(m.resetBlocks()).isEqualTo(1);
        assertThat(m.pendingAllocations()).isZero();
        m.closeAllMutable(waiter.get());
        assertThat(m.resetBlocks()).isEqualTo(4);
        assertThat(m.stats().inflightMutable()).isZero();
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    void closeAllMutable_consumedAndClosedBlocks_areSkipped() {
        BlockManager m = TestManagers.create(3);
        List<MutableBlock> blocks = TestBlocks.allocate(m, 3);
        blocks.get(0).close();
        var staged = blocks.get(1).stage(TestTokens.chain(0, 1).get(0), m.blockSize());

        m.closeAllMutable(blocks);

        assertThat(m.resetBlocks()).isEqualTo(2);
        assertThat(m.stats().inflightMutable()).isZero();
        staged.close();
        assertThat(m.resetBlocks()).isEqualTo(3);
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    void withBlocks_closesWhatTheBodyLeftMutable_throughTheBulkPath() {
        BlockManager m = TestManagers.create(4);

        Integer ids = m.withBlocks(4, blocks -> Mono.just(blocks.size())).block(TestBlocks.TIMEOUT);

        assertThat(ids).isEqualTo(4);
        assertThat(m.resetBlocks()).isEqualTo(4);
        assertThat(StoreAudit.violations(m)).isEmpty();
    }
}
