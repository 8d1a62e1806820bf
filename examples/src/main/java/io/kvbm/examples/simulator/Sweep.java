package io.kvbm.examples.simulator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongConsumer;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Runs a {@link SweepPlan}: every policy at every capacity, each replay on a fresh manager, several at once, plus the
 * bounds. Replays are CPU-bound and never block, so they run on a bounded {@link Schedulers#newParallel parallel}
 * scheduler of {@code plan.threads()} threads; the caller's thread waits for the sweep (it must be allowed to block: the
 * main thread is).
 */
public final class Sweep {

    private Sweep() {}

    /**
     * Returns how many progress steps {@link #run} reports in total (requests replayed, summed over replays).
     *
     * @param trace the requests
     * @param plan what will run
     * @return the total for a progress bar
     */
    public static long progressTotal(Trace trace, SweepPlan plan) {
        long replays = (long) plan.policies().size() * plan.capacities().size();
        if (plan.bounds()) {
            replays += plan.capacities().size() + 1;
        }
        return replays * trace.size();
    }

    /**
     * Runs the sweep.
     *
     * @param trace the requests
     * @param policies where the policies come from
     * @param plan what to run
     * @param progress told how many requests were replayed, from any thread, from time to time
     * @return every measurement, in report order
     * @throws IllegalArgumentException if a capacity is smaller than the longest request, or a policy is unknown
     */
    public static SweepResult run(Trace trace, PolicyRegistry policies, SweepPlan plan, LongConsumer progress) {
        int longest = trace.longestRequest();
        if (plan.capacities().get(0) < longest) {
            throw new IllegalArgumentException("capacity " + plan.capacities().get(0) + " is smaller than the longest "
                    + "request of the trace (" + longest + " blocks): every capacity must hold one whole request");
        }
        plan.policies().forEach(policies::policy); // fail fast on an unknown name
        long start = System.nanoTime();
        PrefixTree tree = PrefixTree.of(trace);

        List<Job> jobs = new ArrayList<>();
        if (plan.mode() == ReplayMode.SEQUENTIAL) {
            SequentialReplay replay = new SequentialReplay(trace);
            for (String policy : plan.policies()) {
                for (int capacity : plan.capacities()) {
                    jobs.add(new Job(
                            policy,
                            capacity,
                            () -> replay.run(policies, policy, capacity, plan.blockSize(), progress)));
                }
            }
        } else {
            ConcurrentReplay replay = new ConcurrentReplay(trace, plan.concurrent());
            for (String policy : plan.policies()) {
                for (int capacity : plan.capacities()) {
                    jobs.add(new Job(
                            policy,
                            capacity,
                            () -> replay.run(policies, policy, capacity, plan.blockSize(), progress)));
                }
            }
        }
        if (plan.bounds()) {
            for (int capacity : plan.capacities()) {
                jobs.add(new Job("belady", capacity, () -> BeladyBound.compute(tree, capacity, progress)));
            }
            jobs.add(new Job("infinite", 0, () -> InfiniteCacheBound.compute(trace, progress)));
        }
        // Longest jobs first keeps both threads busy to the end.
        jobs.sort(Comparator.comparingInt((Job j) -> j.name.startsWith("multi") ? 0 : 1));

        Scheduler scheduler = Schedulers.newParallel("kvbm-sim", plan.threads(), true);
        List<ReplayResult> measured;
        try {
            measured = Flux.fromIterable(jobs)
                    .parallel(plan.threads())
                    .runOn(scheduler, 1)
                    .map(job -> job.work.get())
                    .sequential()
                    .collectList()
                    .block();
        } finally {
            scheduler.dispose();
        }

        List<ReplayResult> ordered = new ArrayList<>();
        List<String> order = new ArrayList<>(plan.policies());
        order.add("belady");
        for (String name : order) {
            for (int capacity : plan.capacities()) {
                measured.stream()
                        .filter(r -> r.name().equals(name) && r.capacity() == capacity)
                        .findFirst()
                        .ifPresent(ordered::add);
            }
        }
        measured.stream()
                .filter(r -> r.name().equals("infinite"))
                .findFirst()
                .ifPresent(inf -> plan.capacities().forEach(c -> ordered.add(inf.atCapacity(c))));
        return new SweepResult(
                trace.name(),
                trace.size(),
                trace.totalBlocks(),
                tree.nodeCount(),
                plan,
                ordered,
                System.nanoTime() - start);
    }

    private record Job(String name, int capacity, java.util.function.Supplier<ReplayResult> work) {}
}
