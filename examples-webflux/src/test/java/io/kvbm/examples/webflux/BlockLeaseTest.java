package io.kvbm.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.manager.Allocation;
import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.TokenBlockSequence;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BlockLeaseTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final BlockManager manager = BlockManager.builder()
            .blockCount(2)
            .blockSize(4)
            .eviction(EvictionPolicy.lru())
            .build();

    @AfterEach
    void booksBalance() {
        Books.assertBalanced(manager, WAIT);
        manager.close().block(WAIT);
    }

    @Test
    void release_twice_closesEveryBlockOnce() {
        BlockLease lease = new BlockLease();
        manager.allocate(2).block(WAIT).forEach(lease::hold);
        assertThat(manager.availableBlocks()).isZero();

        lease.release();
        lease.release();

        Books.assertBalanced(manager, WAIT);
        assertThat(manager.availableBlocks()).isEqualTo(2);
    }

    @Test
    void hold_afterRelease_closesTheBlockAtOnce() {
        BlockLease lease = new BlockLease();
        lease.release();

        lease.hold(manager.allocate().block(WAIT));

        Books.assertBalanced(manager, WAIT);
    }

    @Test
    void release_closesTheNewestFirst_soRecencyEvictionDropsTheTailFirst() {
        TokenBlockSequence sequence = TokenBlockSequence.of(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, 4, 0);
        List<MutableBlock> blocks = manager.allocate(2).block(WAIT);
        List<ImmutableBlock> registered = manager.registerAll(List.of(
                        blocks.get(0).complete(sequence.block(0)), blocks.get(1).complete(sequence.block(1))))
                .block(WAIT);
        BlockLease lease = new BlockLease();
        registered.forEach(lease::hold); // prefix first, tail last, as a request receives them

        lease.release();

        Allocation allocation = manager.allocateWithEvictions(1).block(WAIT);
        allocation.blocks().forEach(MutableBlock::close);
        assertThat(allocation.evicted())
                .as("LRU's first victim")
                .containsExactly(sequence.sequenceHashes().get(1));
    }
}
