package io.kvbm.examples;

import io.kvbm.manager.BlockManager;
import io.kvbm.request.SchedulableSequence;
import io.kvbm.request.ScheduleException;
import io.kvbm.request.SequenceState;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A toy continuous-batching scheduler on {@link SchedulableSequence}: requests arrive over time; each step admits
 * what fits into the batch, advances every running request by a prefill chunk or a decode token through a fake model,
 * and preempts (releases) requests whose blocks cannot be allocated in time, to reacquire them later, when their
 * cached prefix spares most of the recomputation.
 *
 * <p>Run it with {@code mvn -B -q -pl examples -am -DskipTests package exec:exec
 * -Dexec.mainClass=io.kvbm.examples.ContinuousBatching}. Each step prints one line: the batch size, the tokens
 * prefilled and decoded, admissions with their prefix hits, waits, preemptions, reacquisitions, finished requests and
 * the pool sizes. The process exits non-zero if the manager's books do not balance at the end.
 *
 * <p><b>A step.</b> Every running request advances through one reactive pipeline: apply the tokens the model produced
 * for the step it was scheduled for, then either finish (the response is flushed and its blocks are released a moment
 * later, off the scheduler thread) or schedule its next step, waiting up to {@code maxWait} for blocks. The pipelines
 * of the batch run concurrently ({@code flatMap}), so a request that has to wait is served by the blocks that requests
 * finishing in the same step give back. A request whose blocks do not come in time stalls; the scheduler then frees
 * room the way vLLM does, by preempting the youngest running requests (reverting their scheduled step and releasing
 * their blocks) until the stalled one can be scheduled, or until it is the youngest and is preempted itself.
 *
 * <p><b>Coming back.</b> A preempted request that had finished its prefill is later {@link SchedulableSequence#reacquire
 * reacquired}: its still-cached blocks are matched, the evicted ones reallocated (the engine recomputes them), and its
 * tokens and positions are kept. One preempted during prefill restarts with a fresh sequence instead, whose prefix
 * match finds the chunks it had computed (reacquiring would register blocks whose KV was never computed). Admission
 * and reacquisition keep a watermark of free blocks, so a request is not let in only to be preempted again at once.
 */
public final class ContinuousBatching {

    private static final int BLOCK_SIZE = 4;
    private static final int BLOCKS = 16;
    private static final int MAX_BATCH = 4;
    private static final int PREFILL_CHUNK = 8;
    /** Blocks that must stay free beyond a request's own needs for it to be admitted or reacquired. */
    private static final int WATERMARK = 1;

    private static final Duration MAX_WAIT = Duration.ofMillis(100);
    private static final Duration RELEASE_DELAY = Duration.ofMillis(2);
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(10);

    /** A request as it arrives: an id, the step it arrives at, its prompt and its output budget. */
    record Request(String id, int arrival, int[] prompt, int maxOutput) {}

    /** A request in the scheduler, with its current sequence. */
    private static final class Slot {
        final Request request;
        SchedulableSequence sequence;

        Slot(Request request) {
            this.request = request;
            this.sequence = newSequence(request);
        }

        static SchedulableSequence newSequence(Request request) {
            return SchedulableSequence.builder()
                    .tokens(request.prompt())
                    .maxOutputTokens(request.maxOutput())
                    .blockSize(BLOCK_SIZE)
                    .build();
        }

        String id() {
            return request.id();
        }
    }

    /** What one request's pipeline did in a step. */
    private enum Kind {
        PREFILL,
        DECODE,
        FINISHED,
        STALLED
    }

    private record Outcome(Slot slot, Kind kind, int tokens, boolean waited) {}

    private final PrintStream out;
    private final BlockManager manager;
    private final Deque<Request> arrivals;
    private final Deque<Slot> waiting = new ArrayDeque<>();
    private final Deque<Slot> preempted = new ArrayDeque<>();
    /** Oldest first: the order of admission, which is also the order of preemption priority (youngest goes first). */
    private final List<Slot> running = new ArrayList<>();

    private List<String> notes = new ArrayList<>();
    private int finished;
    private int waitsServed;
    private int preemptions;
    private int prefixHits;

    private ContinuousBatching(PrintStream out, BlockManager manager, List<Request> requests) {
        this.out = out;
        this.manager = manager;
        this.arrivals = new ArrayDeque<>(requests);
    }

    /**
     * Runs the simulation on standard output.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        BlockManager manager =
                BlockManager.builder().blockCount(BLOCKS).blockSize(BLOCK_SIZE).build();
        boolean balanced = run(System.out, manager);
        manager.close().block(STEP_TIMEOUT);
        if (!balanced) {
            System.exit(1);
        }
    }

    /**
     * Runs the simulation with the built-in requests.
     *
     * @param out where to print
     * @param manager a manager of block size 4 with nothing allocated
     * @return whether every request finished and every block was back in the manager's pools at the end
     */
    static boolean run(PrintStream out, BlockManager manager) {
        return new ContinuousBatching(out, manager, requests()).simulate();
    }

    /** Ten requests; seven share a 12-token system prompt (three blocks), so later ones hit the cache. */
    static List<Request> requests() {
        int[] system = range(100, 12);
        int[][] shapes = {
            // arrival step, question tokens, output tokens, shares the system prompt (1) or not (0)
            {0, 6, 9, 1}, {0, 10, 6, 0}, {1, 5, 12, 1}, {2, 7, 5, 1}, {3, 9, 8, 0},
            {4, 4, 10, 1}, {6, 8, 6, 1}, {8, 3, 7, 1}, {9, 12, 4, 0}, {11, 6, 6, 1}
        };
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            int[] question = range(1000 * (i + 1), shapes[i][1]);
            int[] prompt = shapes[i][3] == 1 ? concat(system, question) : question;
            requests.add(new Request("r" + i, shapes[i][0], prompt, shapes[i][2]));
        }
        return requests;
    }

    private boolean simulate() {
        out.printf(
                "continuous batching: %d blocks of %d tokens, batch <= %d, prefill chunk %d, maxWait %d ms%n",
                BLOCKS, BLOCK_SIZE, MAX_BATCH, PREFILL_CHUNK, MAX_WAIT.toMillis());
        int total = arrivals.size();
        for (int step = 0; finished < total && step < 200; step++) {
            step(step);
        }
        // A release made on a timer thread while another thread owned the manager's drain loop may still be queued;
        // any operation of the manager runs after it, so the pool sizes read below include it.
        manager.scan(List.of()).block(STEP_TIMEOUT);
        out.printf(
                "done: %d of %d requests finished, %d waits served, %d preemptions, %d prefix blocks reused; "
                        + "pool reset=%d cached=%d of %d%n",
                finished,
                total,
                waitsServed,
                preemptions,
                prefixHits,
                manager.resetBlocks(),
                manager.inactiveBlocks(),
                manager.totalBlocks());
        return finished == total && manager.resetBlocks() + manager.inactiveBlocks() == manager.totalBlocks();
    }

    private void step(int step) {
        notes = new ArrayList<>();
        while (!arrivals.isEmpty() && arrivals.peekFirst().arrival() <= step) {
            waiting.addLast(new Slot(arrivals.pollFirst()));
        }
        admit();
        int batch = running.size();

        List<Outcome> outcomes = Flux.fromIterable(List.copyOf(running))
                .flatMap(this::advance)
                .collectList()
                .block(STEP_TIMEOUT);

        // Back on the scheduler thread: the step's bookkeeping, then room for the stalled requests, oldest first.
        int prefillTokens = 0;
        int decodeTokens = 0;
        List<Slot> stalled = new ArrayList<>();
        for (Outcome outcome : outcomes) {
            Slot slot = outcome.slot();
            if (outcome.waited()) {
                waitsServed++;
                notes.add(slot.id() + " waited for blocks");
            }
            switch (outcome.kind()) {
                case PREFILL:
                    prefillTokens += outcome.tokens();
                    break;
                case DECODE:
                    decodeTokens++;
                    break;
                case FINISHED:
                    running.remove(slot);
                    finished++;
                    notes.add(slot.id() + " finished (" + slot.sequence.generatedTokens() + " tokens)");
                    break;
                case STALLED:
                    stalled.add(slot);
                    break;
                default:
                    throw new AssertionError(outcome.kind());
            }
        }
        stalled.sort((a, b) -> running.indexOf(a) - running.indexOf(b));
        for (Slot slot : stalled) {
            if (!running.contains(slot)) {
                continue; // preempted to make room for an older stalled request
            }
            int tokens = makeRoomFor(slot);
            if (tokens > 0 && slot.sequence.isPrefillComplete()) {
                decodeTokens++;
            } else {
                prefillTokens += tokens;
            }
        }
        out.printf(
                "step %2d | batch %d | prefill %2d tok | decode %d | free %2d cached %2d | %s%n",
                step,
                batch,
                prefillTokens,
                decodeTokens,
                manager.resetBlocks(),
                manager.inactiveBlocks(),
                String.join(", ", notes));
    }

    /**
     * Lets preempted requests back in first (oldest first), then new ones, while the batch has room and enough blocks
     * stay free for the running requests' next steps.
     */
    private void admit() {
        while (running.size() < MAX_BATCH && !preempted.isEmpty()) {
            Slot slot = preempted.peekFirst();
            SchedulableSequence seq = slot.sequence;
            if (manager.availableBlocks() < seq.numBlocks() + WATERMARK) {
                return; // keep the order: nobody overtakes the oldest preempted request
            }
            if (!Boolean.TRUE.equals(seq.reacquire(manager).block(STEP_TIMEOUT))) {
                return;
            }
            preempted.pollFirst();
            running.add(slot);
            prefixHits += seq.prefixMatchedBlocks();
            notes.add(slot.id() + " reacquired (" + seq.prefixMatchedBlocks() + "/" + seq.numBlocks()
                    + " blocks cached, " + (seq.numBlocks() - seq.prefixMatchedBlocks()) + " recomputed)");
        }
        while (running.size() < MAX_BATCH && !waiting.isEmpty()) {
            Slot slot = waiting.peekFirst();
            int firstChunkBlocks = Math.min(PREFILL_CHUNK, slot.sequence.numInputTokens()) / BLOCK_SIZE;
            if (manager.availableBlocks() < firstChunkBlocks + WATERMARK) {
                return;
            }
            waiting.pollFirst();
            int hits = slot.sequence.matchAndAddPrefix(manager).block(STEP_TIMEOUT);
            prefixHits += hits;
            running.add(slot);
            notes.add("+" + slot.id() + " (" + hits + " prefix hit" + (hits == 1 ? "" : "s") + ")");
        }
    }

    /**
     * One request's pipeline for this step: apply what the model produced for the step scheduled last time, then
     * finish (blocks released a moment later, off the scheduler thread) or schedule the next step, waiting up to
     * {@code maxWait} for blocks. It touches only its own sequence, so the pipelines of a batch may complete on
     * different threads.
     */
    private Mono<Outcome> advance(Slot slot) {
        SchedulableSequence seq = slot.sequence;
        return applyScheduled(slot).then(Mono.defer(() -> {
            if (seq.isComplete()) {
                return Mono.delay(RELEASE_DELAY).map(tick -> {
                    seq.release();
                    return new Outcome(slot, Kind.FINISHED, 0, false);
                });
            }
            Thread scheduler = Thread.currentThread();
            return scheduleNext(slot, MAX_WAIT)
                    // completed on another thread: it waited, and a finishing request's release served it
                    .map(tokens -> new Outcome(
                            slot,
                            seq.isPrefillComplete() && tokens == 1 ? Kind.DECODE : Kind.PREFILL,
                            tokens,
                            Thread.currentThread() != scheduler))
                    .onErrorResume(
                            ContinuousBatching::allocationFailed,
                            e -> Mono.just(new Outcome(slot, Kind.STALLED, 0, false)));
        }));
    }

    private Mono<Void> applyScheduled(Slot slot) {
        SchedulableSequence seq = slot.sequence;
        SequenceState state = seq.state();
        switch (state.kind()) {
            case PREFILL_SCHEDULED:
                boolean last = seq.prefillPosition() + state.numTokens() >= seq.numInputTokens();
                return last ? seq.applyPrefill(model(slot), manager) : seq.applyPrefill(manager);
            case DECODE_SCHEDULED:
                return seq.applyDecode(model(slot), manager).then();
            case IDLE:
                return Mono.empty(); // just admitted or reacquired, or stalled last step
            default:
                throw new IllegalStateException("this scheduler never speculates, got " + state);
        }
    }

    /** Schedules a prefill chunk or a decode token; emits the tokens scheduled. Without a wait if maxWait is null. */
    private Mono<Integer> scheduleNext(Slot slot, Duration maxWait) {
        SchedulableSequence seq = slot.sequence;
        if (!seq.isPrefillComplete()) {
            int chunk = Math.min(PREFILL_CHUNK, seq.numInputTokens() - seq.prefillPosition());
            Mono<SequenceState> scheduled = maxWait == null
                    ? seq.schedulePrefill(chunk, manager)
                    : seq.schedulePrefill(chunk, manager, maxWait);
            return scheduled.thenReturn(chunk);
        }
        if (seq.tailTokens() == 0) {
            // the whole (block-aligned) prompt was cached: the first token comes from the cached state
            seq.appendTokens(model(slot));
        }
        Mono<SequenceState> scheduled =
                maxWait == null ? seq.scheduleDecode(manager) : seq.scheduleDecode(manager, maxWait);
        return scheduled.thenReturn(1);
    }

    /**
     * Preempts the youngest running requests until {@code stalled} can be scheduled, or preempts {@code stalled}
     * itself when it is the youngest. Returns the tokens scheduled for it, 0 if it was preempted.
     */
    private int makeRoomFor(Slot stalled) {
        while (true) {
            Integer tokens = scheduleNext(stalled, null)
                    .onErrorResume(ContinuousBatching::allocationFailed, e -> Mono.empty())
                    .block(STEP_TIMEOUT);
            if (tokens != null) {
                notes.add(stalled.id() + " scheduled after preemption");
                return tokens;
            }
            Slot victim = running.get(running.size() - 1);
            preempt(victim);
            if (victim == stalled) {
                return 0;
            }
        }
    }

    /** Reverts the victim's scheduled step, releases its blocks and queues it to come back later. */
    private void preempt(Slot victim) {
        SchedulableSequence seq = victim.sequence;
        if (!seq.state().isIdle()) {
            seq.revertSchedule();
        }
        seq.release();
        running.remove(victim);
        preemptions++;
        if (seq.isPrefillComplete()) {
            preempted.addLast(victim);
            notes.add(victim.id() + " preempted");
        } else {
            victim.sequence = Slot.newSequence(victim.request);
            waiting.addFirst(victim);
            notes.add(victim.id() + " preempted in prefill (restarts)");
        }
    }

    private static boolean allocationFailed(Throwable e) {
        return e instanceof ScheduleException
                && ((ScheduleException) e).kind() == ScheduleException.Kind.ALLOCATION_FAILED;
    }

    /** The fake model: a deterministic next token. */
    private static int model(Slot slot) {
        return 50_000 + Integer.parseInt(slot.id().substring(1)) * 100 + slot.sequence.generatedTokens();
    }

    private static int[] range(int start, int count) {
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = start + i;
        }
        return tokens;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] all = new int[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
