package io.kvbm.examples;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.WeakBlock;
import io.kvbm.manager.Allocation;
import io.kvbm.manager.BlockManager;
import io.kvbm.manager.DuplicationPolicy;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * A guided tour of one {@link BlockManager}: two requests that share a system prompt go through allocate → stage →
 * register → match → release, the second one reuses the first one's cached prefix, an allocation waits for blocks
 * (backpressure) and cached blocks are evicted under pressure.
 *
 * <p>Run it with {@code mvn -B -q -pl examples -am -DskipTests package exec:exec
 * -Dexec.mainClass=io.kvbm.examples.Walkthrough}. It prints each step and the pool
 * sizes after it; the process exits non-zero if the manager's books do not balance at the end.
 */
public final class Walkthrough {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final int BLOCK_SIZE = 4;

    private final PrintStream out;
    private final BlockManager manager;

    private Walkthrough(PrintStream out, BlockManager manager) {
        this.out = out;
        this.manager = manager;
    }

    /**
     * Runs the tour on standard output.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        BlockRegistry registry = BlockRegistry.create();
        BlockManager manager = BlockManager.builder()
                .blockCount(8)
                .blockSize(BLOCK_SIZE)
                .registry(registry)
                .duplicationPolicy(DuplicationPolicy.ALLOW)
                .build();
        boolean balanced = new Walkthrough(System.out, manager).run();
        manager.close().block(WAIT);
        if (!balanced) {
            System.exit(1);
        }
    }

    private boolean run() {
        out.println("kvbm-reactive walkthrough: " + manager);
        pools("a fresh manager: every block is in the reset pool");

        // Request A: a 12-token system prompt followed by a 4-token question, salt 0 (no tenant isolation).
        int[] systemPrompt = {101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112};
        TokenBlockSequence requestA =
                TokenBlockSequence.of(concat(systemPrompt, new int[] {1, 2, 3, 4}), BLOCK_SIZE, 0);
        List<SequenceHash> hashesA = requestA.sequenceHashes();
        step("request A has " + requestA.totalTokens() + " tokens = " + hashesA.size() + " blocks: " + hashesA);

        List<ImmutableBlock> matchedA = manager.match(hashesA).collectList().block(WAIT);
        step("match(A) finds " + matchedA.size() + " cached blocks (the cache is cold)");

        List<MutableBlock> fresh =
                manager.allocate(hashesA.size() - matchedA.size()).block(WAIT);
        step("allocate(" + fresh.size() + ") hands out blocks " + ids(fresh));
        pools("after allocating request A's blocks");

        List<CompleteBlock> staged = new ArrayList<>();
        for (int i = 0; i < fresh.size(); i++) {
            TokenBlock tokens = requestA.blocks().get(matchedA.size() + i);
            staged.add(fresh.get(i).complete(tokens)); // the KV data is "written"; the block is staged under its hash
        }
        List<ImmutableBlock> registeredA = manager.registerAll(staged).block(WAIT);
        step("registerAll turns them into shared immutable blocks " + describe(registeredA));

        WeakBlock weakFirst = registeredA.get(0).downgrade();
        registeredA.forEach(ImmutableBlock::close);
        step("request A finishes and closes its blocks: they stay cached in the inactive pool");
        pools("after request A");

        // Request B shares the system prompt (3 blocks) and asks another question.
        TokenBlockSequence requestB =
                TokenBlockSequence.of(concat(systemPrompt, new int[] {9, 8, 7, 6}), BLOCK_SIZE, 0);
        List<SequenceHash> hashesB = requestB.sequenceHashes();
        List<ImmutableBlock> matchedB = manager.match(hashesB).collectList().block(WAIT);
        step("match(B) reuses " + matchedB.size() + " of " + hashesB.size() + " blocks from the cache (prefix hit) "
                + describe(matchedB));
        pools("after matching request B (hits are active again)");

        List<MutableBlock> restB =
                manager.allocate(hashesB.size() - matchedB.size()).block(WAIT);
        List<ImmutableBlock> registeredB = new ArrayList<>();
        for (int i = 0; i < restB.size(); i++) {
            CompleteBlock block = restB.get(i).complete(requestB.blocks().get(matchedB.size() + i));
            registeredB.add(manager.register(block).block(WAIT));
        }
        step("request B computes only its last block: " + describe(registeredB));

        // Backpressure: ask for more blocks than are free; the Mono waits until B releases its blocks.
        int want = manager.availableBlocks() + 2;
        Mono<Allocation> waiting = manager.allocateWithEvictions(want).cache();
        waiting.subscribe();
        step("allocateWithEvictions(" + want + ") waits: " + manager.pendingAllocations() + " allocation pending, "
                + manager.availableBlocks() + " blocks available");
        // Release tail first: with the lineage policy a block's cached ancestors stay protected while it is released.
        for (int i = registeredB.size() - 1; i >= 0; i--) {
            registeredB.get(i).close();
        }
        for (int i = matchedB.size() - 1; i >= 0; i--) {
            matchedB.get(i).close();
        }
        Allocation served = waiting.block(WAIT);
        step("request B closes its blocks, which serves the waiting allocation on this thread: " + ids(served.blocks())
                + "; evicted from the cache: " + served.evicted());
        pools("with the whole manager allocated");

        Boolean upgraded = weakFirst
                .upgrade()
                .map(b -> {
                    b.close();
                    return true;
                })
                .defaultIfEmpty(false)
                .block(WAIT);
        step("a weak reference to request A's first block upgrades? " + upgraded
                + (upgraded ? "" : " (it was evicted to make room)"));

        served.blocks().forEach(MutableBlock::close);
        pools("after releasing everything");
        step("statistics: " + manager.stats());

        boolean balanced = manager.resetBlocks() + manager.inactiveBlocks() == manager.totalBlocks();
        step(balanced ? "books balance: reset + inactive == total" : "BOOKS DO NOT BALANCE");
        return balanced;
    }

    private void step(String text) {
        out.println("  • " + text);
    }

    private void pools(String when) {
        out.printf(
                "    [%s] reset=%d inactive=%d available=%d pending=%d of %d%n",
                when,
                manager.resetBlocks(),
                manager.inactiveBlocks(),
                manager.availableBlocks(),
                manager.pendingAllocations(),
                manager.totalBlocks());
    }

    private static List<Integer> ids(List<MutableBlock> blocks) {
        List<Integer> ids = new ArrayList<>();
        blocks.forEach(b -> ids.add(b.blockId()));
        return ids;
    }

    private static String describe(List<ImmutableBlock> blocks) {
        List<String> parts = new ArrayList<>();
        blocks.forEach(b -> parts.add("#" + b.blockId() + "@" + b.sequenceHash().position()));
        return parts.toString();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] all = new int[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
