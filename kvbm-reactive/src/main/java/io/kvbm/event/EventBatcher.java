package io.kvbm.event;

import io.kvbm.block.StorageTier;
import io.kvbm.internal.BatchAccumulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Batches a stream of {@link CacheEvent}s the way a manager batches its own: one kind per batch, at most
 * {@code maxBatchSize} hashes, hashes ordered by position (stored ascending, removed descending, stable), {@code seq}
 * from 0, and a batch closed on a kind switch, on size, every {@code window} and when the input completes (kvbm's
 * {@code EventBatcher}).
 *
 * <p>Use it for event sources other than a manager, such as {@link io.kvbm.registry.BlockRegistry#events()}. The
 * window is a periodic tick, not a timer started by the first event of a batch, so an event waits at most one window.
 * Batches are emitted on the thread of the input signal or of the scheduler's tick; errors of the input are passed on
 * after the open batch is dropped.
 */
public final class EventBatcher {

    /**
     * Returns a builder with kvbm's defaults: 1024 hashes, 10 ms, {@link Schedulers#parallel()}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private static final Object END = new Object();

    private final int maxBatchSize;
    private final Duration window;
    private final Scheduler scheduler;

    private EventBatcher(Builder builder) {
        this.maxBatchSize = builder.maxBatchSize;
        this.window = builder.window;
        this.scheduler = builder.scheduler;
    }

    /**
     * Returns the batches of {@code events}.
     *
     * <p>Each subscription batches its own subscription to {@code events}, numbering batches from 0. The returned
     * {@link Flux} completes after the last batch once {@code events} completes.
     *
     * @param events the events, in order
     * @param instanceId the worker id stamped on the batches
     * @param tier the tier stamped on the batches
     * @return the batches, in order
     */
    public Flux<EventBatch> batch(Publisher<CacheEvent> events, long instanceId, StorageTier tier) {
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(tier, "tier");
        return Flux.defer(() -> {
            List<EventBatch> closed = new ArrayList<>();
            BatchAccumulator batches = new BatchAccumulator(
                    instanceId, tier, maxBatchSize, () -> scheduler.now(TimeUnit.MILLISECONDS), closed::add);
            Flux<Object> input = Flux.<Object>from(events).concatWith(Flux.just(END));
            Flux<Object> ticks = Flux.interval(window, window, scheduler).map(t -> (Object) t);
            // merge serializes events and ticks; the accumulator then only ever sees one signal at a time
            return Flux.merge(input, ticks).takeUntil(item -> item == END).concatMapIterable(item -> {
                if (item instanceof CacheEvent) {
                    CacheEvent event = (CacheEvent) item;
                    batches.add(event.kind(), event.hash());
                } else {
                    batches.flush(); // a tick, or the end of the input
                }
                List<EventBatch> out = new ArrayList<>(closed);
                closed.clear();
                return out;
            });
        });
    }

    /** Configures an {@link EventBatcher}. Not thread-safe. */
    public static final class Builder {

        private int maxBatchSize = 1024;
        private Duration window = Duration.ofMillis(10);
        private Scheduler scheduler = Schedulers.parallel();

        private Builder() {}

        /**
         * Sets the largest batch. Default 1024.
         *
         * @param maxBatchSize at least 1
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxBatchSize(int maxBatchSize) {
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("maxBatchSize must be positive, got " + maxBatchSize);
            }
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /**
         * Sets the period of the tick that closes the open batch. Default 10 ms.
         *
         * @param window positive
         * @return this builder
         * @throws IllegalArgumentException if not positive
         */
        public Builder window(Duration window) {
            Objects.requireNonNull(window, "window");
            if (window.isNegative() || window.isZero()) {
                throw new IllegalArgumentException("window must be positive, got " + window);
            }
            this.window = window;
            return this;
        }

        /**
         * Sets the scheduler of the tick and of the batch timestamps. Default {@link Schedulers#parallel()}.
         *
         * @param scheduler the scheduler (a {@code VirtualTimeScheduler} in tests)
         * @return this builder
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * Builds the batcher.
         *
         * @return a new batcher
         */
        public EventBatcher build() {
            return new EventBatcher(this);
        }
    }
}
