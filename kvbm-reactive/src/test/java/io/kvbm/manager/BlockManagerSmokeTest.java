package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockManagerSmokeTest {

    @Test
    void lifecycle_allocateStageRegisterMatchRelease_booksBalance() {
        BlockManager m = TestManagers.create(8);
        List<SequenceHash> chain = TestTokens.chain(0, 3);
        List<MutableBlock> blocks = m.allocate(3).block();
        assertThat(m.availableBlocks()).isEqualTo(5);
        List<CompleteBlock> staged = List.of(
                blocks.get(0).stage(chain.get(0), 4),
                blocks.get(1).stage(chain.get(1), 4),
                blocks.get(2).stage(chain.get(2), 4));
        List<ImmutableBlock> registered = m.registerAll(staged).block();
        assertThat(registered).hasSize(3);
        List<ImmutableBlock> matched = m.match(chain).collectList().block();
        assertThat(matched).extracting(ImmutableBlock::blockId).containsExactly(0, 1, 2);
        matched.forEach(ImmutableBlock::close);
        registered.forEach(ImmutableBlock::close);
        assertThat(m.inactiveBlocks()).isEqualTo(3);
        assertThat(m.availableBlocks()).isEqualTo(8);
        List<ImmutableBlock> again = m.match(chain).collectList().block();
        assertThat(again).hasSize(3);
        assertThat(m.inactiveBlocks()).isZero();
        again.forEach(ImmutableBlock::close);
        assertThat(m.stats().registrations()).isEqualTo(3);
    }
}
