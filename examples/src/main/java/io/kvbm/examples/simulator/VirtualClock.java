package io.kvbm.examples.simulator;

import java.util.PriorityQueue;

/**
 * A discrete-event clock for one simulation: tasks run in order of their simulated time (ties in the order they were
 * scheduled) on the thread that calls {@link #runUntil(long)}, and the clock jumps from one task to the next. Not
 * thread-safe: confined to that thread, which is also where every manager signal of the simulation arrives.
 */
final class VirtualClock {

    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long now;
    private long sequence;

    /** The current simulated time, in nanoseconds. */
    long now() {
        return now;
    }

    /**
     * Schedules {@code action} {@code delayNanos} from now.
     *
     * @return a handle whose {@link Task#cancel()} stops the task if it has not run yet
     */
    Task schedule(Runnable action, long delayNanos) {
        return scheduleAt(action, now + Math.max(0, delayNanos));
    }

    /** Schedules {@code action} at an absolute simulated time, not earlier than now. */
    Task scheduleAt(Runnable action, long atNanos) {
        Task task = new Task(Math.max(now, atNanos), sequence++, action);
        queue.add(task);
        return task;
    }

    /** Runs every task due up to {@code limitNanos}, including those they schedule; returns how many ran. */
    long runUntil(long limitNanos) {
        long ran = 0;
        for (Task task = queue.peek(); task != null && task.at <= limitNanos; task = queue.peek()) {
            queue.poll();
            if (!task.cancelled) {
                now = task.at;
                ran++;
                task.action.run();
            }
        }
        return ran;
    }

    /** A scheduled task. */
    static final class Task implements Comparable<Task> {
        private final long at;
        private final long sequence;
        private final Runnable action;
        private boolean cancelled;

        private Task(long at, long sequence, Runnable action) {
            this.at = at;
            this.sequence = sequence;
            this.action = action;
        }

        /** Stops the task if it has not run yet; idempotent. */
        void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Task o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }
}
