package io.kvbm.examples.simulator;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;
import reactor.core.publisher.Mono;

/**
 * The reference replay: requests in file order, one at a time, through a real {@link BlockManager}.
 *
 * <p>For each request: turn its {@code hash_ids} into a chain of {@link SequenceHash}es, {@link BlockManager#match
 * match} the cached prefix, {@link BlockManager#allocate(int) allocate} a block for every other position (a block
 * after the first miss is recomputed even if it happens to be cached), stage and {@link BlockManager#registerAll
 * register} them, then release everything, tail first (the order the lineage policies are built for, see
 * {@code docs/eviction.md}). The hit rate is Σ matched blocks / Σ request blocks.
 *
 * <p>Only one request is in flight and nothing else touches the manager, so it is always idle when an operation is
 * subscribed and every operation completes during {@code subscribe}: the replay reads results synchronously without
 * blocking a thread, and fails loudly if that assumption ever breaks. One instance holds the trace's hash chains,
 * computed once, and may run replays on several threads at once (each with its own manager).
 */
public final class SequentialReplay {

    private final Trace trace;
    private final List<List<SequenceHash>> hashes;

    /**
     * Prepares a trace for replay.
     *
     * @param trace the requests
     */
    public SequentialReplay(Trace trace) {
        this.trace = trace;
        List<List<SequenceHash>> chains = new ArrayList<>(trace.size());
        for (TraceRecord r : trace.records()) {
            chains.add(List.copyOf(r.sequenceHashes()));
        }
        this.hashes = chains;
    }

    /**
     * Returns the trace.
     *
     * @return the trace
     */
    public Trace trace() {
        return trace;
    }

    /**
     * Replays the trace against a fresh manager of one policy and capacity.
     *
     * @param policies where the policy comes from
     * @param policy the policy name
     * @param capacity the block count; at least the longest request
     * @param blockSize tokens per block
     * @param progress told how many requests were replayed, from time to time
     * @return the measurement
     * @throws IllegalArgumentException if a request is longer than {@code capacity}
     */
    public ReplayResult run(
            PolicyRegistry policies, String policy, int capacity, int blockSize, LongConsumer progress) {
        BlockManager manager = policies.newManager(policy, capacity, blockSize);
        try {
            ReplayResult result = replay(manager, policy, capacity, progress);
            requireBalanced(manager, policy, capacity);
            return result;
        } finally {
            now(manager.close());
        }
    }

    private ReplayResult replay(BlockManager manager, String policy, int capacity, LongConsumer progress) {
        long start = System.nanoTime();
        int blockSize = manager.blockSize();
        long requested = 0;
        long matched = 0;
        long operations = 0;
        for (int r = 0; r < hashes.size(); r++) {
            List<SequenceHash> chain = hashes.get(r);
            int n = chain.size();
            if (n > capacity) {
                throw new IllegalArgumentException(
                        "request " + r + " has " + n + " blocks, more than the capacity " + capacity);
            }
            List<ImmutableBlock> hits = now(manager.match(chain).collectList());
            int k = hits.size();
            List<MutableBlock> fresh = now(manager.allocate(n - k));
            List<CompleteBlock> staged = new ArrayList<>(fresh.size());
            for (int i = 0; i < fresh.size(); i++) {
                staged.add(fresh.get(i).stage(chain.get(k + i), blockSize));
            }
            List<ImmutableBlock> computed = now(manager.registerAll(staged));
            for (int i = computed.size() - 1; i >= 0; i--) {
                computed.get(i).close();
            }
            for (int i = k - 1; i >= 0; i--) {
                hits.get(i).close();
            }
            requested += n;
            matched += k;
            operations += k + 3L * (n - k) + n; // match hits; allocate, stage, register the rest; release all
            if ((r & 255) == 255) {
                progress.accept(256);
            }
        }
        progress.accept(hashes.size() & 255);
        return new ReplayResult(
                policy,
                false,
                capacity,
                hashes.size(),
                requested,
                matched,
                operations,
                System.nanoTime() - start,
                null);
    }

    /** Fails unless every block is back in the reset or inactive pool and nothing waits: the replay leaked nothing. */
    static void requireBalanced(BlockManager manager, String policy, int capacity) {
        if (manager.availableBlocks() != manager.totalBlocks() || manager.pendingAllocations() != 0) {
            throw new IllegalStateException("replay of " + policy + " at " + capacity + " blocks did not balance its "
                    + "books: " + manager.availableBlocks() + " of " + manager.totalBlocks() + " blocks available, "
                    + manager.pendingAllocations() + " allocation(s) pending; " + manager.stats());
        }
    }

    /**
     * Subscribes and returns the value the operation produced during {@code subscribe}; never waits.
     *
     * @throws IllegalStateException if the operation did not complete synchronously (the manager was not idle)
     */
    static <T> T now(Mono<T> operation) {
        CompletableFuture<T> result = operation.toFuture();
        if (!result.isDone()) {
            result.cancel(false);
            throw new IllegalStateException("the sequential replay expects every operation to complete during "
                    + "subscribe on an idle manager, but one is still pending");
        }
        return result.join();
    }
}
