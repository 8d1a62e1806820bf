package io.kvbm.benchmarks;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.manager.BlockManager;
import java.util.Arrays;
import java.util.List;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

/**
 * Collects the blocks of a {@code Flux} that completes during {@code subscribe} into a reusable array, so a benchmark
 * measures the lookup and not a {@code collectList()} chain. One thread, sequential subscriptions only.
 */
final class BlockCollector implements CoreSubscriber<ImmutableBlock> {

    final ImmutableBlock[] blocks;
    private final List<ImmutableBlock> view;
    int count;

    BlockCollector(int capacity) {
        this.blocks = new ImmutableBlock[capacity];
        this.view = Arrays.asList(blocks);
    }

    @Override
    public void onSubscribe(Subscription s) {
        count = 0;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(ImmutableBlock block) {
        blocks[count++] = block;
    }

    @Override
    public void onError(Throwable t) {
        throw new IllegalStateException("benchmark lookup failed", t);
    }

    @Override
    public void onComplete() {}

    /** Closes every collected block with one {@link BlockManager#closeAll} call and returns how many there were. */
    int closeAll(BlockManager manager) {
        int n = count;
        manager.closeAll(n == blocks.length ? view : view.subList(0, n));
        Arrays.fill(blocks, 0, n, null);
        count = 0;
        return n;
    }

    /** Closes every collected block, one {@code close()} each, and returns how many there were. */
    int closeAll() {
        int n = count;
        for (int i = 0; i < n; i++) {
            blocks[i].close();
            blocks[i] = null;
        }
        count = 0;
        return n;
    }
}
