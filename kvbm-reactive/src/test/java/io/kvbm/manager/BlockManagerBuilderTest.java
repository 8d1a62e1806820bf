package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.TokenBlock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class BlockManagerBuilderTest {

    static IntStream powersOfTwo() {
        return IntStream.rangeClosed(0, 10).map(i -> 1 << i);
    }

    @ParameterizedTest(name = "blockSize {0}")
    @MethodSource("powersOfTwo")
    void blockSize_powerOfTwoUpTo1024_isAccepted(int blockSize) {
        // kvbm-core §8 invariant 40
        BlockManager m = TestManagers.create(2, b -> b.blockSize(blockSize));

        assertThat(m.blockSize()).isEqualTo(blockSize);
        MutableBlock block = m.allocate().block(TIMEOUT);
        assertThat(block.blockSize()).isEqualTo(blockSize);
        block.close();
    }

    @ParameterizedTest(name = "blockSize {0}")
    @ValueSource(ints = {0, 7, 15, 2048, -1, 3, 1023, 1025, Integer.MIN_VALUE})
    void blockSize_otherValues_throwNamingTheValue(int blockSize) {
        // kvbm-core §8 invariant 40
        BlockManager.Builder builder = BlockManager.builder();

        assertThatThrownBy(() -> builder.blockSize(blockSize))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blockSize")
                .hasMessageContaining("power of two")
                .hasMessageEndingWith("got " + blockSize);
    }

    @Test
    void build_withoutBlockCount_throwsNamingTheField() {
        assertThatThrownBy(() -> BlockManager.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blockCount is required");
    }

    @ParameterizedTest(name = "blockCount {0}")
    @ValueSource(ints = {0, -1, BlockManager.MAX_BLOCK_COUNT + 1})
    void blockCount_outOfRange_throwsNamingTheValue(int blockCount) {
        assertThatThrownBy(() -> BlockManager.builder().blockCount(blockCount))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blockCount")
                .hasMessageEndingWith("got " + blockCount);
    }

    @Test
    void blockCount_bounds_areAccepted() {
        BlockManager.builder().blockCount(BlockManager.MAX_BLOCK_COUNT); // the setter only validates

        BlockManager one = TestManagers.create(1);
        assertThat(one.totalBlocks()).isEqualTo(1);
    }

    @Test
    void maxPendingAllocations_negative_throwsNamingTheValue() {
        assertThatThrownBy(() -> BlockManager.builder().maxPendingAllocations(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxPendingAllocations")
                .hasMessageEndingWith("got -1");
        BlockManager.builder().maxPendingAllocations(0);
    }

    @Test
    void setters_null_throwNamingTheField() {
        BlockManager.Builder b = BlockManager.builder();

        assertThatThrownBy(() -> b.tier(null)).hasMessage("tier");
        assertThatThrownBy(() -> b.registry(null)).hasMessage("registry");
        assertThatThrownBy(() -> b.duplicationPolicy(null)).hasMessage("duplicationPolicy");
        assertThatThrownBy(() -> b.eviction(null)).hasMessage("eviction");
        assertThatThrownBy(() -> b.leakDetection(null)).hasMessage("leakDetection");
    }

    @Test
    void build_defaults_matchTheDocumentation() {
        BlockManager m = BlockManager.builder().blockCount(2).build();
        BlockManager other = BlockManager.builder().blockCount(2).build();

        assertThat(m.blockSize()).isEqualTo(16);
        assertThat(m.tier()).isEqualTo(StorageTier.G1);
        assertThat(m.duplicationPolicy()).isEqualTo(DuplicationPolicy.ALLOW);
        assertThat(m.evictionPolicy()).isSameAs(EvictionPolicy.lineage());
        assertThat(m.registry()).as("a private registry each").isNotNull().isNotSameAs(other.registry());
        assertThat(m.registry().hasFrequencyTracking()).isFalse();
        assertThat(m.isClosed()).isFalse();
        MutableBlock block = m.allocate().block(TIMEOUT);
        ImmutableBlock handle =
                m.register(block.stage(TestTokens.chain(0, 1).get(0), 16)).block(TIMEOUT);
        handle.close();
        assertThat(m.inactiveBlocks()).as("evictOnRelease defaults to false").isEqualTo(1);
    }

    @Test
    void id_ofManyManagers_distinctAndNonZero() {
        // kvbm-core §8 invariant 41
        Set<Long> ids = new HashSet<>();
        for (int i = 0; i < 32; i++) {
            BlockManager m = BlockManager.builder().blockCount(1).build();
            assertThat(m.id()).isNotZero();
            assertThat(m.id()).isEqualTo(m.id());
            ids.add(m.id());
        }
        assertThat(ids).hasSize(32);
    }

    @Test
    void equalTokens_inTwoManagers_sameHashDifferentManagerIds() {
        // kvbm-core §8 invariant 42 (the manager-id half; this port has no pins)
        BlockManager g1 = TestManagers.create(2);
        BlockManager g2 = TestManagers.create(2, b -> b.tier(StorageTier.G2));
        TokenBlock tokens = TestTokens.blocks(7, 1, TestManagers.BLOCK_SIZE).get(0);
        List<ImmutableBlock> handles = new ArrayList<>();

        for (BlockManager m : List.of(g1, g2)) {
            CompleteBlock staged = m.allocate().block(TIMEOUT).complete(tokens);
            handles.add(m.register(staged).block(TIMEOUT));
        }

        assertThat(handles.get(0).sequenceHash()).isEqualTo(handles.get(1).sequenceHash());
        assertThat(handles.get(0).managerId()).isEqualTo(g1.id());
        assertThat(handles.get(1).managerId()).isEqualTo(g2.id()).isNotEqualTo(g1.id());
        TestBlocks.closeAll(handles);
    }
}
