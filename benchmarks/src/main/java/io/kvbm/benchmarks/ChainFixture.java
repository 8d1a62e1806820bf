package io.kvbm.benchmarks;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.frequency.FrequencyTrackingCapacity;
import io.kvbm.manager.BlockManager;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.util.ArrayList;
import java.util.List;

/**
 * The setup of kvbm's Criterion benches ({@code benches/block_manager.rs}): one lineage chain of N blocks of 4 tokens
 * (tokens 0..4N, salt 1337) registered in a manager of 2N blocks whose registry tracks frequencies (MEDIUM, kvbm's
 * default), so every hit pays its touch. The chain starts held active; {@link #releaseAll()} caches it.
 */
final class ChainFixture {

    final BlockManager manager;
    final List<SequenceHash> chain;
    private List<ImmutableBlock> held;

    ChainFixture(String policy, int blocks) {
        BlockRegistry registry = BlockRegistry.builder()
                .frequencyTracker(FrequencyTracker.tinyLfu(FrequencyTrackingCapacity.MEDIUM))
                .build();
        manager = BlockManager.builder()
                .blockCount(blocks * 2)
                .blockSize(4)
                .registry(registry)
                .eviction(Policies.byName(policy))
                .build();
        TokenBlockSequence sequence = sequence(blocks);
        chain = sequence.sequenceHashes();
        List<MutableBlock> fresh = manager.allocate(blocks).block();
        List<CompleteBlock> staged = new ArrayList<>();
        List<TokenBlock> tokenBlocks = sequence.blocks();
        for (int i = 0; i < blocks; i++) {
            staged.add(fresh.get(i).complete(tokenBlocks.get(i)));
        }
        held = manager.registerAll(staged).block();
    }

    /** The hashes of kvbm's bench chain of {@code blocks} blocks. */
    static List<SequenceHash> hashes(int blocks) {
        return sequence(blocks).sequenceHashes();
    }

    private static TokenBlockSequence sequence(int blocks) {
        int[] tokens = new int[blocks * 4];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        return TokenBlockSequence.of(tokens, 4, 1337);
    }

    /** Closes the held handles: the chain moves to the inactive pool. */
    void releaseAll() {
        if (held != null) {
            held.forEach(ImmutableBlock::close);
            held = null;
        }
    }

    void close() {
        releaseAll();
        manager.close().block();
    }
}
