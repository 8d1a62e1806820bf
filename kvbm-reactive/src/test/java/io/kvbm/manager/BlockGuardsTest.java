package io.kvbm.manager;

import static io.kvbm.manager.StoreAudit.assertStates;
import static io.kvbm.manager.StoreAudit.counts;
import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestTokens.chain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.BlockSizeMismatchException;
import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The guard contract of {@link io.kvbm.block}: {@code close()} is idempotent, a transition on a consumed or closed
 * guard throws {@link IllegalStateException} naming the block and its state, a size mismatch leaves the guard live,
 * and a guard of another manager is refused.
 */
class BlockGuardsTest {

    private final BlockManager m = TestManagers.create(4);
    private final SequenceHash h = chain(0, 1).get(0);

    @Nested
    class Mutable {

        @Test
        void close_twice_releasesOnce() {
            MutableBlock block = m.allocate().block(TIMEOUT);

            block.close();
            block.close();

            assertStates(m, counts(4, 0, 0, 0, 0, 0));
            assertThat(m.stats().inflightMutable()).isZero();
        }

        @Test
        void stage_afterClose_throwsNamingBlockAndState() {
            MutableBlock block = m.allocate().block(TIMEOUT);
            block.close();

            assertThatThrownBy(() -> block.stage(h, 4))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block " + block.blockId())
                    .hasMessageContaining("closed");
            assertThatThrownBy(() -> block.complete(TestTokens.blocks(0, 1, 4).get(0)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertStates(m, counts(4, 0, 0, 0, 0, 0));
        }

        @Test
        void stage_afterStage_throwsConsumedAndCloseIsNoOp() {
            MutableBlock block = m.allocate().block(TIMEOUT);
            CompleteBlock staged = block.stage(h, 4);

            assertThatThrownBy(() -> block.stage(h, 4))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block " + block.blockId())
                    .hasMessageContaining("consumed");
            block.close();

            assertStates(m, counts(3, 0, 1, 0, 0, 0));
            staged.close();
        }

        @Test
        void stage_wrongSize_throwsMismatchAndGuardStaysLive() {
            MutableBlock block = m.allocate().block(TIMEOUT);

            assertThatThrownBy(() -> block.stage(h, 8)).isInstanceOfSatisfying(BlockSizeMismatchException.class, e -> {
                assertThat(e.expected()).isEqualTo(4);
                assertThat(e.actual()).isEqualTo(8);
                assertThat(e).hasMessageContaining("block " + block.blockId());
            });
            assertStates(m, counts(3, 1, 0, 0, 0, 0));

            CompleteBlock staged = block.stage(h, 4);
            assertThat(staged.blockId()).isEqualTo(block.blockId());
            assertThat(staged.sequenceHash()).isEqualTo(h);
            staged.close();
        }

        @Test
        void stage_wrongSizeOnClosedGuard_reportsTheClosedGuard() {
            MutableBlock block = m.allocate().block(TIMEOUT);
            block.close();

            assertThatThrownBy(() -> block.stage(h, 8))
                    .isInstanceOf(IllegalStateException.class)
                    .isNotInstanceOf(BlockSizeMismatchException.class);
        }

        @Test
        void stage_nullArguments_throwNpeAndGuardStaysLive() {
            MutableBlock block = m.allocate().block(TIMEOUT);

            assertThatThrownBy(() -> block.stage(null, 4)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> block.complete(null)).isInstanceOf(NullPointerException.class);

            assertThat(block.blockSize()).isEqualTo(4);
            block.close();
            assertStates(m, counts(4, 0, 0, 0, 0, 0));
        }
    }

    @Nested
    class Complete {

        @Test
        void close_twice_releasesOnce() {
            CompleteBlock staged = TestBlocks.stage(m, h);

            staged.close();
            staged.close();

            assertStates(m, counts(4, 0, 0, 0, 0, 0));
        }

        @Test
        void reset_rollsBackToMutableWithSameId() {
            CompleteBlock staged = TestBlocks.stage(m, h);

            MutableBlock mutable = staged.reset();

            assertThat(mutable.blockId()).isEqualTo(staged.blockId());
            assertThat(staged.blockSize()).isEqualTo(4);
            assertThat(m.stats().inflightMutable()).isEqualTo(1);
            assertThat(m.stats().stagings())
                    .as("a rollback does not uncount the staging")
                    .isEqualTo(1);
            assertStates(m, counts(3, 1, 0, 0, 0, 0));
            staged.close(); // consumed: no-op
            assertStates(m, counts(3, 1, 0, 0, 0, 0));
            mutable.close();
        }

        @Test
        void reset_afterResetOrClose_throwsNamingBlockAndState() {
            CompleteBlock staged = TestBlocks.stage(m, h);
            MutableBlock mutable = staged.reset();
            CompleteBlock closed = TestBlocks.stage(m, chain(5, 1).get(0));
            closed.close();

            assertThatThrownBy(staged::reset)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block " + staged.blockId())
                    .hasMessageContaining("consumed");
            assertThatThrownBy(closed::reset)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block " + closed.blockId())
                    .hasMessageContaining("closed");
            mutable.close();
        }

        @Test
        void register_consumedOrClosedBlock_throwsAtCallTime() {
            CompleteBlock staged = TestBlocks.stage(m, h);
            ImmutableBlock handle = m.register(staged).block(TIMEOUT);
            CompleteBlock closed = TestBlocks.stage(m, chain(5, 1).get(0));
            closed.close();

            assertThatThrownBy(() -> m.register(staged))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block " + staged.blockId())
                    .hasMessageContaining("consumed");
            assertThatThrownBy(() -> m.register(closed))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(() -> m.registerAll(List.of(closed))).isInstanceOf(IllegalStateException.class);
            handle.close();
        }

        @Test
        void register_subscribedTwice_secondSubscriptionFailsWithConsumedBlock() {
            CompleteBlock staged = TestBlocks.stage(m, h);
            Mono<ImmutableBlock> registration = m.register(staged);
            ImmutableBlock handle = registration.block(TIMEOUT);

            StepVerifier.create(registration)
                    .expectErrorSatisfies(e -> assertThat(e)
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("consumed"))
                    .verify(TIMEOUT);

            assertThat(m.stats().registrations()).isEqualTo(1);
            handle.close();
        }

        @Test
        void register_notSubscribed_leavesBlockUnconsumed() {
            CompleteBlock staged = TestBlocks.stage(m, h);

            m.register(staged); // cold: nothing happens

            assertStates(m, counts(3, 0, 1, 0, 0, 0));
            staged.close();
            assertStates(m, counts(4, 0, 0, 0, 0, 0));
        }

        @Test
        void register_blockOfAnotherManager_throwsNamingBothManagers() {
            BlockManager other = TestManagers.create(2);
            CompleteBlock foreign = TestBlocks.stage(other, h);

            assertThatThrownBy(() -> m.register(foreign))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("block " + foreign.blockId())
                    .hasMessageContaining("manager " + other.id())
                    .hasMessageContaining("manager " + m.id());
            assertThatThrownBy(() -> m.registerAll(List.of(foreign))).isInstanceOf(IllegalArgumentException.class);
            assertStates(other, counts(1, 0, 1, 0, 0, 0));
            foreign.close();
        }

        @Test
        void registerAll_invalidBatch_throwsAndConsumesNothing() {
            List<CompleteBlock> staged = TestBlocks.stage(m, chain(0, 2));
            CompleteBlock closed = TestBlocks.stage(m, chain(10, 1)).get(0);
            closed.close();

            assertThatThrownBy(() -> m.registerAll(List.of(staged.get(0), staged.get(0))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("twice");
            assertThatThrownBy(() -> m.registerAll(Arrays.asList(staged.get(0), null)))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("blocks[1]");
            assertThatThrownBy(() -> m.registerAll(List.of(staged.get(0), staged.get(1), closed)))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> m.register(null)).isInstanceOf(NullPointerException.class);

            List<ImmutableBlock> handles = m.registerAll(staged).block(TIMEOUT);
            assertThat(handles).hasSize(2);
            TestBlocks.closeAll(handles);
        }

        @Test
        void registerAll_blockConsumedBeforeItsTurn_failsAndConsumesNoneOfTheOthers() {
            List<CompleteBlock> staged = TestBlocks.stage(m, chain(0, 2));
            Mono<List<ImmutableBlock>> batch = m.registerAll(staged);
            ImmutableBlock single = m.register(staged.get(1)).block(TIMEOUT);

            StepVerifier.create(batch).expectError(IllegalStateException.class).verify(TIMEOUT);

            assertStates(m, counts(2, 0, 1, 1, 0, 0));
            ImmutableBlock first = m.register(staged.get(0)).block(TIMEOUT);
            assertThat(first.blockId()).isEqualTo(staged.get(0).blockId());
            first.close();
            single.close();
        }
    }

    @Nested
    class Immutable {

        @Test
        void close_twice_releasesOnce() {
            ImmutableBlock handle = TestBlocks.register(m, h);
            ImmutableBlock other = handle.retain();

            handle.close();
            handle.close();

            assertThat(other.useCount()).isEqualTo(1);
            assertThat(m.stats().inflightImmutable()).isEqualTo(1);
            assertStates(m, counts(3, 0, 0, 1, 0, 0));
            other.close();
            assertStates(m, counts(3, 0, 0, 0, 0, 1));
        }

        @Test
        void retain_eachHandleClosedOnce_lastCloseCachesBlock() {
            ImmutableBlock handle = TestBlocks.register(m, h);
            List<ImmutableBlock> handles = new ArrayList<>(List.of(handle));
            for (int i = 0; i < 4; i++) {
                handles.add(handle.retain());
            }

            assertThat(handle.useCount()).isEqualTo(5);
            assertThat(m.stats().inflightImmutable()).isEqualTo(5);
            assertThat(handles).extracting(ImmutableBlock::blockId).containsOnly(handle.blockId());
            for (int i = 0; i < 4; i++) {
                handles.get(i).close();
                assertThat(m.inactiveBlocks()).isZero();
            }
            handles.get(4).close();
            assertThat(m.inactiveBlocks()).isEqualTo(1);
            assertThat(handle.useCount()).isZero();
        }

        @Test
        void operations_afterClose_throwNamingBlockAndState() {
            ImmutableBlock handle = TestBlocks.register(m, h);
            handle.close();

            assertThatThrownBy(handle::retain)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block " + handle.blockId())
                    .hasMessageContaining("closed");
            assertThatThrownBy(handle::downgrade).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> handle.evictOnRelease(true)).isInstanceOf(IllegalStateException.class);
            assertThat(handle.sequenceHash()).as("identity stays readable").isEqualTo(h);
            assertStates(m, counts(3, 0, 0, 0, 0, 1));
        }

        @Test
        void identity_namesTierAndManager() {
            BlockManager g2 = TestManagers.create(2, b -> b.tier(StorageTier.G2));
            ImmutableBlock one = TestBlocks.register(m, h);
            ImmutableBlock two = TestBlocks.register(g2, h);

            assertThat(one.tier()).isEqualTo(StorageTier.G1);
            assertThat(two.tier()).isEqualTo(StorageTier.G2);
            assertThat(one.managerId()).isEqualTo(m.id());
            assertThat(two.managerId()).isEqualTo(g2.id()).isNotEqualTo(m.id());
            one.close();
            two.close();
        }
    }
}
