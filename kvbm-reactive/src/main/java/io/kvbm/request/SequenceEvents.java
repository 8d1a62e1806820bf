package io.kvbm.request;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/** Delivers a sequence's events to its delegate, then to every subscriber of {@link #flux()}. */
final class SequenceEvents {

    /*
     * Subscribers are kept in a copy-on-write array swapped by CAS (reactor's FluxPublish pattern): emission reads the
     * array once and never takes a lock, and subscribing or cancelling from another thread never blocks the emitter.
     * Each subscriber gets a FluxSink with an unbounded buffer, so a subscriber without demand delays only itself and
     * loses nothing; a sequence emits a bounded number of small events per step, so the buffer cannot run away unless
     * a subscriber stops requesting for good.
     */

    private static final Logger LOG = LoggerFactory.getLogger(SchedulableSequence.class);

    @SuppressWarnings("rawtypes")
    private static final FluxSink[] NONE = new FluxSink[0];

    @SuppressWarnings("rawtypes")
    private static final AtomicReferenceFieldUpdater<SequenceEvents, FluxSink[]> SINKS =
            AtomicReferenceFieldUpdater.newUpdater(SequenceEvents.class, FluxSink[].class, "sinks");

    private final SequenceDelegate delegate;
    private final SequenceEvent.Created created;

    @SuppressWarnings("unchecked")
    private volatile FluxSink<SequenceEvent>[] sinks = NONE;

    SequenceEvents(SequenceDelegate delegate, SequenceEvent.Created created) {
        this.delegate = delegate;
        this.created = created;
    }

    SequenceDelegate delegate() {
        return delegate;
    }

    /** Reports {@code event}: the delegate first (synchronously), then every subscriber. */
    void emit(SequenceEvent event) {
        try {
            delegate.onEvent(event);
        } catch (RuntimeException e) {
            LOG.warn("SequenceDelegate {} threw on {}; the event is dropped for it", delegate, event, e);
        }
        for (FluxSink<SequenceEvent> sink : sinks) {
            sink.next(event);
        }
    }

    /** Created, then every event emitted after the subscription; never completes. */
    Flux<SequenceEvent> flux() {
        return Flux.create(
                sink -> {
                    sink.next(created);
                    add(sink);
                    sink.onDispose(() -> remove(sink));
                },
                FluxSink.OverflowStrategy.BUFFER);
    }

    @SuppressWarnings("unchecked")
    private void add(FluxSink<SequenceEvent> sink) {
        for (; ; ) {
            FluxSink<SequenceEvent>[] current = sinks;
            FluxSink<SequenceEvent>[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = sink;
            if (SINKS.compareAndSet(this, current, next)) {
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void remove(FluxSink<SequenceEvent> sink) {
        for (; ; ) {
            FluxSink<SequenceEvent>[] current = sinks;
            int index = -1;
            for (int i = 0; i < current.length; i++) {
                if (current[i] == sink) {
                    index = i;
                    break;
                }
            }
            if (index < 0) {
                return;
            }
            FluxSink<SequenceEvent>[] next = current.length == 1 ? NONE : new FluxSink[current.length - 1];
            System.arraycopy(current, 0, next, 0, index);
            System.arraycopy(current, index + 1, next, index, current.length - index - 1);
            if (SINKS.compareAndSet(this, current, next)) {
                return;
            }
        }
    }
}
