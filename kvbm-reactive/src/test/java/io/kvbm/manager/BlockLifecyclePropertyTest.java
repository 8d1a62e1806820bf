package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.BlockSizeMismatchException;
import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** kvbm-core §8 invariants 37–39 as seeded properties: each seed is one random walk, named in the display name. */
class BlockLifecyclePropertyTest {

    static LongStream seeds() {
        return LongStream.range(0, 30).map(i -> 0x11FE_0000L + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void blockIdAndSize_preservedThroughEveryTransition(long seed) {
        // kvbm-core §8 invariant 37
        SplittableRandom random = new SplittableRandom(seed);
        int blockSize = 1 << random.nextInt(11);
        int blockCount = 1 + random.nextInt(32);
        BlockManager m = TestManagers.create(
                blockCount,
                b -> b.blockSize(blockSize)
                        .evictOnRelease(random.nextBoolean())
                        .duplicationPolicy(random.nextBoolean() ? DuplicationPolicy.ALLOW : DuplicationPolicy.REJECT));
        List<SequenceHash> fresh = TestTokens.roots(seed, 4000);
        int nextHash = 0;
        List<ImmutableBlock> held = new ArrayList<>();
        Set<Integer> heldIds = new HashSet<>();
        Set<Integer> seenIds = new HashSet<>();

        for (int round = 0; round < 40; round++) {
            String at = "seed " + seed + ", round " + round;
            if (m.availableBlocks() > 0) {
                List<MutableBlock> blocks =
                        m.allocate(1 + random.nextInt(m.availableBlocks())).block(TIMEOUT);
                for (MutableBlock block : blocks) {
                    int id = block.blockId();
                    assertThat(id).as(at).isBetween(0, blockCount - 1);
                    assertThat(heldIds.add(id))
                            .as("%s: block %d handed out while held", at, id)
                            .isTrue();
                    seenIds.add(id);
                    assertThat(block.blockSize()).as(at).isEqualTo(blockSize);
                    switch (random.nextInt(3)) {
                        case 0:
                            block.close();
                            heldIds.remove(id);
                            break;
                        case 1:
                            CompleteBlock staged = block.stage(fresh.get(nextHash++), blockSize);
                            assertThat(staged.blockId()).as(at).isEqualTo(id);
                            assertThat(staged.blockSize()).as(at).isEqualTo(blockSize);
                            MutableBlock back = staged.reset();
                            assertThat(back.blockId()).as(at).isEqualTo(id);
                            assertThat(back.blockSize()).as(at).isEqualTo(blockSize);
                            back.close();
                            heldIds.remove(id);
                            break;
                        default:
                            SequenceHash hash = fresh.get(nextHash++);
                            CompleteBlock complete = block.stage(hash, blockSize);
                            ImmutableBlock handle = m.register(complete).block(TIMEOUT);
                            assertThat(handle.blockId()).as(at).isEqualTo(id);
                            assertThat(handle.sequenceHash()).as(at).isEqualTo(hash);
                            held.add(handle);
                            break;
                    }
                }
            }
            // Release a random part of what is registered; each release goes to reset or inactive with its id.
            for (int i = held.size() - 1; i >= 0; i--) {
                if (random.nextBoolean()) {
                    ImmutableBlock handle = held.remove(i);
                    handle.close();
                    heldIds.remove(handle.blockId());
                }
            }
            assertThat(StoreAudit.heldBlocks(m)).as(at).isEqualTo(heldIds.size());
        }
        TestBlocks.closeAll(held);
        List<MutableBlock> everything = m.allocate(blockCount).block(TIMEOUT);
        List<Integer> ids = new ArrayList<>();
        everything.forEach(b -> ids.add(b.blockId()));
        assertThat(ids)
                .as("every slot comes back, each once")
                .containsExactlyInAnyOrderElementsOf(
                        LongStream.range(0, blockCount).mapToObj(i -> (int) i).toList());
        assertThat(seenIds).isSubsetOf(ids);
        TestBlocks.closeAll(everything);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void complete_succeedsIffTokenCountEqualsBlockSize(long seed) {
        // kvbm-core §8 invariant 38
        SplittableRandom random = new SplittableRandom(seed);
        int blockSize = 1 << random.nextInt(8);
        BlockManager m = TestManagers.create(2, b -> b.blockSize(blockSize));

        for (int attempt = 0; attempt < 20; attempt++) {
            int size = 1 + random.nextInt(2 * blockSize + 1);
            TokenBlock tokens = randomBlock(random, size);
            MutableBlock block = m.allocate().block(TIMEOUT);
            String at = "seed " + seed + ", size " + size + " in blocks of " + blockSize;
            if (size == blockSize) {
                CompleteBlock staged = block.complete(tokens);
                assertThat(staged.sequenceHash()).as(at).isEqualTo(tokens.sequenceHash());
                assertThat(staged.blockId()).as(at).isEqualTo(block.blockId());
                staged.close();
            } else {
                assertThatThrownBy(() -> block.complete(tokens))
                        .as(at)
                        .isInstanceOfSatisfying(BlockSizeMismatchException.class, e -> {
                            assertThat(e.expected()).isEqualTo(blockSize);
                            assertThat(e.actual()).isEqualTo(size);
                        });
                // The error hands the block back: still live, still stageable.
                CompleteBlock staged = block.stage(tokens.sequenceHash(), blockSize);
                assertThat(staged.blockId()).as(at).isEqualTo(block.blockId());
                staged.close();
            }
            assertThat(m.availableBlocks()).as(at).isEqualTo(2);
        }
        assertThat(m.stats().stagings()).isEqualTo(20);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void sameTokens_sameHashWhateverTheBlock_differentTokensDifferentHash(long seed) {
        // kvbm-core §8 invariant 39
        SplittableRandom random = new SplittableRandom(seed);
        int blockSize = 1 << random.nextInt(6);
        int count = 2 + random.nextInt(8);
        BlockManager m = TestManagers.create(count, b -> b.blockSize(blockSize));
        TokenBlock tokens = randomBlock(random, blockSize);
        int[] changed = tokens.tokens();
        changed[random.nextInt(blockSize)] ^= 1 + random.nextInt(1 << 20);
        TokenBlock different = TokenBlockSequence.of(changed, blockSize, TestTokens.SALT)
                .blocks()
                .get(0);
        List<MutableBlock> blocks = m.allocate(count).block(TIMEOUT);

        List<CompleteBlock> staged = new ArrayList<>();
        for (MutableBlock block : blocks) {
            staged.add(block.complete(TokenBlockSequence.of(tokens.tokens(), blockSize, TestTokens.SALT)
                    .blocks()
                    .get(0)));
        }

        assertThat(staged).extracting(CompleteBlock::sequenceHash).containsOnly(tokens.sequenceHash());
        assertThat(staged).extracting(CompleteBlock::blockId).doesNotHaveDuplicates();
        assertThat(different.sequenceHash()).isNotEqualTo(tokens.sequenceHash());
        staged.forEach(CompleteBlock::close);
    }

    private static TokenBlock randomBlock(SplittableRandom random, int size) {
        int[] tokens = new int[size];
        for (int i = 0; i < size; i++) {
            tokens[i] = random.nextInt(1 << 17);
        }
        return TokenBlockSequence.of(tokens, size, TestTokens.SALT).blocks().get(0);
    }
}
