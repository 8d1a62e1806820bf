package io.kvbm.testing;

import io.kvbm.event.EventBatch;
import io.kvbm.event.EventCodec;
import io.kvbm.transport.EventPublisher;
import io.kvbm.transport.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;

/**
 * An {@link EventPublisher} that records what it is asked to do, in order (kvbm's mock publisher): each publish as a
 * {@link Message}, each flush as a {@code null} entry in {@link #calls()}. It can be told to refuse some publishes, to
 * simulate a transport that loses messages. Thread-safe.
 */
public final class RecordingPublisher implements EventPublisher {

    /** The entry recorded for a flush. */
    public static final Message FLUSH = new Message("<flush>", new byte[0]);

    private final List<Message> calls = new CopyOnWriteArrayList<>();
    private volatile Predicate<Message> refuse = m -> false;

    @Override
    public Mono<Void> publish(String subject, byte[] payload) {
        return Mono.defer(() -> {
            Message message = new Message(subject, payload);
            if (refuse.test(message)) {
                return Mono.error(new IllegalStateException("refused by the test"));
            }
            calls.add(message);
            return Mono.empty();
        });
    }

    @Override
    public Mono<Void> flush() {
        return Mono.fromRunnable(() -> calls.add(FLUSH));
    }

    /** Refuses the publishes {@code refuse} accepts (they fail and are not recorded). */
    public void refuse(Predicate<Message> refuse) {
        this.refuse = refuse;
    }

    /** Every publish and flush, in order; flushes are {@link #FLUSH}. */
    public List<Message> calls() {
        return List.copyOf(calls);
    }

    /** The published batches, decoded, in order. */
    public List<EventBatch> batches() {
        List<EventBatch> batches = new ArrayList<>();
        for (Message m : calls) {
            if (m != FLUSH) {
                batches.add(EventCodec.decode(m.payload()));
            }
        }
        return batches;
    }
}
