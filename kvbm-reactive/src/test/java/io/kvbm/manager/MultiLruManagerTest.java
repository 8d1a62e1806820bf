package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The multi-level LRU policy through the manager: levels follow the registry's frequency estimates. */
class MultiLruManagerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void release_sixtyFourColdBlocks_allCachedAndAllEvictable() {
        // kvbm-core §8 invariant 11: per-level capacity is the block count, so 64 cold blocks fit
        BlockManager m = TestManagers.create(64, DuplicationPolicy.ALLOW, EvictionPolicy.multiLru());
        List<SequenceHash> hashes = TestTokens.roots(64, 64);
        release(register(m, hashes));

        assertThat(m.inactiveBlocks()).isEqualTo(64);
        Allocation all = m.allocateWithEvictions(64).block(WAIT);
        assertThat(all.evicted()).containsExactlyInAnyOrderElementsOf(hashes);
        all.blocks().forEach(MutableBlock::close);
    }

    @Test
    void allocate_blocksSpreadOverFourLevels_coldestEvictedFirstAndAllEvictable() {
        // kvbm-core §8 invariant 11: blocks spread over 4 levels are all evictable, the coldest level first
        BlockManager m = TestManagers.create(8, DuplicationPolicy.ALLOW, EvictionPolicy.multiLru(2, 4, 8));
        List<SequenceHash> hashes = TestTokens.roots(65, 4);
        release(register(m, hashes)); // each registration counts 1: all cold
        // hits raise the estimates: hashes[3] to 1+8, hashes[2] to 1+4, hashes[1] to 1+2, hashes[0] stays at 1
        int[] hits = {0, 2, 4, 8};
        for (int i = 0; i < 4; i++) {
            for (int k = 0; k < hits[i]; k++) {
                release(m.match(hashes.subList(i, i + 1)).collectList().block(WAIT));
            }
        }
        assertThat(m.registry().count(hashes.get(3))).isGreaterThanOrEqualTo(8);

        List<MutableBlock> fresh = m.allocate(4).block(WAIT); // the reset pool first
        Allocation evicting = m.allocateWithEvictions(4).block(WAIT);

        assertThat(evicting.evicted()).containsExactly(hashes.get(0), hashes.get(1), hashes.get(2), hashes.get(3));
        fresh.forEach(MutableBlock::close);
        evicting.blocks().forEach(MutableBlock::close);
    }

    @Test
    void build_multiLruWithRegistryWithoutTracker_failsNamingTheRemedy() {
        BlockManager.Builder builder = BlockManager.builder()
                .blockCount(8)
                .registry(BlockRegistry.create())
                .eviction(EvictionPolicy.multiLru());
        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiLru(3,8,15) needs a registry with frequency tracking")
                .hasMessageContaining("BlockRegistry.builder().frequencyTracker(");
    }

    private static List<ImmutableBlock> register(BlockManager m, List<SequenceHash> hashes) {
        List<MutableBlock> blocks = m.allocate(hashes.size()).block(WAIT);
        List<CompleteBlock> staged = new ArrayList<>();
        for (int i = 0; i < hashes.size(); i++) {
            staged.add(blocks.get(i).stage(hashes.get(i), m.blockSize()));
        }
        return m.registerAll(staged).block(WAIT);
    }

    private static void release(List<ImmutableBlock> blocks) {
        blocks.forEach(ImmutableBlock::close);
    }
}
