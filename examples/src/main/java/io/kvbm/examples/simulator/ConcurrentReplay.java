package io.kvbm.examples.simulator;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.function.LongConsumer;
import reactor.core.Disposable;

/**
 * Replays a trace as a server would see it: requests arrive by timestamp, run concurrently, hold their blocks while
 * they "decode" their answer, and compete for a fixed number of blocks through the manager's own backpressure.
 *
 * <h2>Model</h2>
 *
 * <ol>
 *   <li>A request arrives at {@code timestamp / speedup} and joins the admission queue.
 *   <li>While fewer than {@code maxRunning} requests run, the head of the queue is admitted: it {@link BlockManager#match
 *       matches} its cached prefix and subscribes to {@link BlockManager#allocate(int) allocate} the rest. That
 *       allocation waits, first in first out, until the manager can give every block at once — the backpressure. One
 *       request is admitted at a time, so the waiting admission is always the queue's head. Its queueing delay is the
 *       time from arrival until its prompt blocks are granted (first admission only).
 *   <li>Prefill takes {@code prefillMillisPerBlock} per block that was not a hit; then the prompt blocks are staged and
 *       registered.
 *   <li>Decoding produces one token per {@code decodeMillisPerToken}. When a token starts a new block the request
 *       allocates one more (the previous one is full: it is staged with the next hash of the chain and registered). If
 *       that block is not granted within {@code preemptAfterMillis} — the pool is exhausted and the allocation waits
 *       behind others — the request is <em>preempted</em>: it cancels the wait, releases everything it holds and goes
 *       back to the front of the queue, to be redone from its prompt (and to hit its own cached blocks).
 *   <li>When the answer is complete the last, partial block is dropped and every block is released, tail first.
 * </ol>
 *
 * <h2>Time and threads</h2>
 *
 * Simulated time comes from a private discrete-event clock, advanced by the thread that calls
 * {@link #run}: the replay is deterministic and as fast as the manager, and several replays can run on different
 * threads at once. Every manager signal (including allocations served by another request's release) arrives on that
 * thread; nothing blocks. Hits are counted per admission, so a preempted request's redo counts again.
 */
public final class ConcurrentReplay {

    private static final long HORIZON_NANOS = 3650L * 24 * 3600 * 1_000_000_000L;

    private final Trace trace;
    private final List<List<SequenceHash>> hashes;
    private final ConcurrentConfig config;

    /**
     * Prepares a trace for concurrent replays.
     *
     * @param trace the requests; their timestamps need not be sorted
     * @param config the timing model
     */
    public ConcurrentReplay(Trace trace, ConcurrentConfig config) {
        this.trace = trace;
        this.config = config;
        List<List<SequenceHash>> chains = new ArrayList<>(trace.size());
        for (TraceRecord r : trace.records()) {
            chains.add(List.copyOf(r.sequenceHashes()));
        }
        this.hashes = chains;
    }

    /**
     * Replays the trace against a fresh manager.
     *
     * @param policies where the policy comes from
     * @param policy the policy name
     * @param capacity the block count
     * @param blockSize tokens per block
     * @param progress told how many requests finished or were rejected, from time to time
     * @return the measurement, with {@link ReplayResult#concurrent()} set
     * @throws IllegalStateException if the simulation does not finish within ten simulated years (a livelock)
     */
    public ReplayResult run(
            PolicyRegistry policies, String policy, int capacity, int blockSize, LongConsumer progress) {
        BlockManager manager = policies.newManager(policy, capacity, blockSize);
        VirtualClock clock = new VirtualClock();
        long start = System.nanoTime();
        try {
            Simulation sim = new Simulation(manager, clock, policy, capacity, progress);
            sim.start();
            clock.runUntil(HORIZON_NANOS);
            ReplayResult result = sim.result(System.nanoTime() - start);
            SequentialReplay.requireBalanced(manager, policy, capacity);
            return result;
        } finally {
            SequentialReplay.now(manager.close());
        }
    }

    /** One replay's mutable state; confined to the thread advancing the clock. */
    private final class Simulation {

        private final BlockManager manager;
        private final VirtualClock clock;
        private final String policy;
        private final int capacity;
        private final int blockSize;
        private final LongConsumer progress;
        private final Deque<Request> queue = new ArrayDeque<>();
        private final double[] queueingMillis;
        private Request admitting;
        private int running;
        private int peakRunning;
        private long completed;
        private long rejected;
        private long preemptions;
        private long requested;
        private long matched;
        private long operations;
        private long lastCompletionNanos;
        private long firstArrivalNanos = Long.MAX_VALUE;
        private int reported;

        Simulation(BlockManager manager, VirtualClock clock, String policy, int capacity, LongConsumer p) {
            this.manager = manager;
            this.clock = clock;
            this.policy = policy;
            this.capacity = capacity;
            this.blockSize = manager.blockSize();
            this.progress = p;
            this.queueingMillis = new double[trace.size()];
            // an admission waiting for room is retried on every release of this simulation (see pump)
            Arrays.fill(queueingMillis, Double.NaN);
        }

        void start() {
            List<TraceRecord> records = trace.records();
            for (int i = 0; i < records.size(); i++) {
                Request request = new Request(i, records.get(i), hashes.get(i));
                long at = Math.round(records.get(i).timestamp() * 1_000_000.0 / config.speedup());
                firstArrivalNanos = Math.min(firstArrivalNanos, at);
                clock.scheduleAt(() -> arrive(request), at);
            }
        }

        private void arrive(Request request) {
            request.arrivalNanos = now();
            int totalBlocks =
                    (int) ceilDiv((long) request.record.inputLength() + request.record.outputLength(), blockSize);
            if (Math.max(totalBlocks, request.chain.size()) > capacity) {
                rejected++;
                finished();
                return;
            }
            queue.addLast(request);
            pump();
        }

        /**
         * Admits the head of the queue if a slot is free and no other admission is in progress, or lets the admission
         * in progress ask for its blocks once the pool has room for them.
         */
        private void pump() {
            if (admitting != null) {
                if (admitting.hits != null) {
                    requestPromptBlocks(admitting);
                }
                return;
            }
            if (running < config.maxRunning() && !queue.isEmpty()) {
                Request request = queue.pollFirst();
                admitting = request;
                running++;
                peakRunning = Math.max(peakRunning, running);
                manager.match(request.chain).collectList().subscribe(hits -> matched(request, hits), this::fail);
            }
        }

        private void matched(Request request, List<ImmutableBlock> hits) {
            request.hits = hits;
            int k = hits.size();
            int n = request.chain.size();
            requested += n;
            matched += k;
            operations += k;
            requestPromptBlocks(request);
        }

        /**
         * Subscribes to the prompt's allocation once the free pool covers it plus {@code reservePerRunning} blocks per
         * other running request (their next answer block), or at once when nothing else runs. The allocation itself
         * still waits in the manager's queue, behind the answer blocks already waiting.
         */
        private void requestPromptBlocks(Request request) {
            if (request.allocating) {
                return;
            }
            int need = request.chain.size() - request.hits.size();
            int others = running - 1;
            if (others > 0 && manager.availableBlocks() < need + (long) config.reservePerRunning() * others) {
                return; // retried on the next release (pump)
            }
            request.allocating = true;
            manager.allocate(need).subscribe(fresh -> granted(request, fresh), this::fail);
        }

        private void granted(Request request, List<MutableBlock> fresh) {
            if (Double.isNaN(queueingMillis[request.index])) {
                queueingMillis[request.index] = (now() - request.arrivalNanos) / 1e6;
            }
            admitting = null;
            request.fresh = fresh;
            operations += fresh.size();
            after(config.prefillMillisPerBlock() * fresh.size(), () -> prefilled(request));
            pump();
        }

        private void prefilled(Request request) {
            int k = request.hits.size();
            List<CompleteBlock> staged = new ArrayList<>(request.fresh.size());
            for (int i = 0; i < request.fresh.size(); i++) {
                staged.add(request.fresh.get(i).stage(request.chain.get(k + i), blockSize));
            }
            request.fresh = List.of();
            operations += 2L * staged.size();
            manager.registerAll(staged)
                    .subscribe(
                            registered -> {
                                request.prompt = registered;
                                request.last =
                                        request.chain.isEmpty() ? null : request.chain.get(request.chain.size() - 1);
                                decodeFrom(request, 0, 0);
                            },
                            this::fail);
        }

        /**
         * Continues decoding at {@code produced} tokens, the next new block being number {@code j}. Block {@code j}
         * is needed when the answer has produced {@code need(j)} tokens and one more is coming.
         */
        private void decodeFrom(Request request, int produced, int j) {
            int output = request.record.outputLength();
            long need = need(request, j);
            if (need < output) {
                after(config.decodeMillisPerToken() * (need - produced), () -> needBlock(request, j));
            } else {
                after(config.decodeMillisPerToken() * (output - produced), () -> complete(request));
            }
        }

        private long need(Request request, int j) {
            return (long) (request.chain.size() + j) * blockSize - request.record.inputLength();
        }

        private void needBlock(Request request, int j) {
            VirtualClock.Task[] timer = new VirtualClock.Task[1];
            boolean[] granted = new boolean[1];
            Disposable wait = manager.allocate()
                    .subscribe(
                            block -> {
                                granted[0] = true;
                                if (timer[0] != null) {
                                    timer[0].cancel();
                                }
                                request.waiting = null;
                                operations++;
                                sealOpenBlock(request);
                                request.open = block;
                                decodeFrom(request, (int) need(request, j), j + 1);
                            },
                            this::fail);
            if (granted[0]) { // served during subscribe: the pool had a block
                return;
            }
            request.waiting = wait;
            timer[0] = clock.schedule(() -> preempt(request), millis(config.preemptAfterMillis()));
        }

        /** The open decode block is full: stage it with the next hash of the chain and register it. */
        private void sealOpenBlock(Request request) {
            MutableBlock full = request.open;
            if (full == null) {
                return;
            }
            request.open = null;
            long id = ~(((long) request.index << 24) | request.decoded.size());
            request.last = request.last == null ? SequenceHash.root(id) : request.last.extend(id);
            CompleteBlock staged = full.stage(request.last, blockSize);
            operations += 2;
            manager.register(staged).subscribe(request.decoded::add, this::fail);
        }

        private void preempt(Request request) {
            if (request.waiting == null) {
                return;
            }
            request.waiting.dispose(); // a waiting allocation that is cancelled takes nothing
            request.waiting = null;
            preemptions++;
            releaseAll(request);
            running--;
            queue.addFirst(request.restart());
            pump();
        }

        private void complete(Request request) {
            if ((request.record.inputLength() + (long) request.record.outputLength()) % blockSize == 0) {
                sealOpenBlock(request);
            }
            releaseAll(request);
            running--;
            completed++;
            lastCompletionNanos = now();
            finished();
            pump();
        }

        private void releaseAll(Request request) {
            if (request.open != null) {
                request.open.close();
                request.open = null;
            }
            release(request.decoded);
            release(request.prompt);
            if (request.hits != null) {
                release(request.hits);
            }
        }

        private void release(List<ImmutableBlock> blocks) {
            for (int i = blocks.size() - 1; i >= 0; i--) {
                blocks.get(i).close();
            }
            operations += blocks.size();
        }

        private void finished() {
            if (++reported == 64) {
                progress.accept(reported);
                reported = 0;
            }
        }

        private void after(double millis, Runnable task) {
            clock.schedule(task, millis(millis));
        }

        private long now() {
            return clock.now();
        }

        private void fail(Throwable error) {
            throw new IllegalStateException(
                    "concurrent replay of " + policy + " at " + capacity + " blocks failed", error);
        }

        ReplayResult result(long wallNanos) {
            progress.accept(reported);
            if (completed + rejected != trace.size()) {
                throw new IllegalStateException("concurrent replay of " + policy + " at " + capacity + " blocks did not"
                        + " finish: " + completed + " completed, " + rejected + " rejected, " + running + " running, "
                        + queue.size() + " queued of " + trace.size() + " (preemptions: " + preemptions + ")");
            }
            double[] delays = Arrays.stream(queueingMillis)
                    .filter(d -> !Double.isNaN(d))
                    .sorted()
                    .toArray();
            ConcurrentStats stats = new ConcurrentStats(
                    completed,
                    rejected,
                    preemptions,
                    delays.length == 0 ? 0 : Arrays.stream(delays).average().orElse(0),
                    percentile(delays, 0.50),
                    percentile(delays, 0.99),
                    delays.length == 0 ? 0 : delays[delays.length - 1],
                    peakRunning,
                    completed == 0 ? 0 : (lastCompletionNanos - firstArrivalNanos) / 1e6);
            return new ReplayResult(
                    policy, false, capacity, completed, requested, matched, operations, wallNanos, stats);
        }
    }

    private static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static long millis(double millis) {
        return Math.round(millis * 1_000_000.0);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** One request's attempt; {@link #restart()} starts the next attempt after a preemption. */
    private static final class Request {
        final int index;
        final TraceRecord record;
        final List<SequenceHash> chain;
        long arrivalNanos;
        List<ImmutableBlock> hits;
        boolean allocating;
        List<MutableBlock> fresh = List.of();
        List<ImmutableBlock> prompt = List.of();
        final List<ImmutableBlock> decoded = new ArrayList<>();
        MutableBlock open;
        SequenceHash last;
        Disposable waiting;

        Request(int index, TraceRecord record, List<SequenceHash> chain) {
            this.index = index;
            this.record = record;
            this.chain = chain;
        }

        Request restart() {
            Request next = new Request(index, record, chain);
            next.arrivalNanos = arrivalNanos;
            return next;
        }
    }
}
