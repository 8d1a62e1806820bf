package io.kvbm.manager;

import io.kvbm.event.EventBatch;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;

/**
 * The hot {@link Flux} of {@link BlockManager#events()} and {@link BlockManager#eventsWithSnapshot()}: each
 * subscription is connected to the manager's event fan-out inside the drain loop, between two batches.
 */
final class EventFlux extends Flux<EventBatch> implements Scannable {

    static Flux<EventBatch> create(DrainLoop loop, ManagerEvents events, boolean withSnapshot) {
        return onAssembly(new EventFlux(loop, events, withSnapshot));
    }

    private final DrainLoop loop;
    private final ManagerEvents events;
    private final boolean withSnapshot;

    private EventFlux(DrainLoop loop, ManagerEvents events, boolean withSnapshot) {
        this.loop = loop;
        this.events = events;
        this.withSnapshot = withSnapshot;
    }

    @Override
    public void subscribe(CoreSubscriber<? super EventBatch> actual) {
        Subscription subscription = events.prepare(actual);
        actual.onSubscribe(subscription);
        // Attach in the loop: the subscriber then starts exactly between two batches, and a snapshot taken in the
        // same step describes the state those batches lead to, with no gap and no duplicate.
        loop.execute(() -> events.attach(subscription, withSnapshot ? loop.store.heldHashes() : null));
    }

    @Override
    public @Nullable Object scanUnsafe(Attr key) {
        return key == Attr.RUN_STYLE ? Attr.RunStyle.ASYNC : null;
    }
}
