package io.kvbm.transport.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.testing.Await;
import io.kvbm.testing.Races;
import io.kvbm.testing.TestBlocks;
import io.kvbm.transport.PublishQueueFullException;
import io.nats.client.Connection;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The NATS publisher's queue and thread, against a stand-in {@link Connection} whose {@code publish} can be made to
 * park (as jnats's does when its writer queue is full) or to throw (as it does while reconnecting without a buffer).
 * No server needed.
 */
class NatsEventPublisherTest {

    /** A {@link Connection} that records publishes and flushes, parks while the gate is shut, or throws. */
    private static final class FakeConnection {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        volatile RuntimeException publishFailure;
        volatile Thread caller;

        final Connection connection = (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "publish" -> {
                            caller = Thread.currentThread();
                            gate.await(); // parks like a full jnats writer queue
                            RuntimeException failure = publishFailure;
                            if (failure != null) {
                                throw failure;
                            }
                            calls.add("publish " + args[0] + " " + ((byte[]) args[1]).length);
                            return null;
                        }
                        case "flush" -> {
                            calls.add("flush");
                            return null;
                        }
                        case "toString" -> {
                            return "FakeConnection";
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    }
                });

        void shut() {
            gate = new CountDownLatch(1);
        }

        void open() {
            gate.countDown();
        }
    }

    private final FakeConnection fake = new FakeConnection();
    private NatsEventPublisher publisher;

    @AfterEach
    void tearDown() {
        fake.open();
        if (publisher != null) {
            publisher.close().block(TestBlocks.TIMEOUT);
        }
    }

    @Test
    void publish_fromParallelThreadWhileJnatsParks_neverBlocksTheCaller() {
        // BlockHound is installed: a publish that parked the parallel() thread would fail this race
        publisher =
                NatsEventPublisher.builder(fake.connection).queueCapacity(100).build();
        fake.shut();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Races.race(
                () -> publisher.publish("s", new byte[] {1}).subscribe(null, errors::add),
                () -> publisher.publish("s", new byte[] {2}).subscribe(null, errors::add));
        assertThat(errors).isEmpty();

        fake.open();
        Await.until("both messages are sent", () -> publisher.sent() == 2);
        assertThat(fake.caller.getName()).startsWith("kvbm-nats-publisher-");
    }

    @Test
    void publish_queueFull_failsAtOnceWithCapacityAndCountsDiscarded() {
        publisher = NatsEventPublisher.builder(fake.connection).queueCapacity(2).build();
        fake.shut();
        publisher.publish("s", new byte[1]).block(TestBlocks.TIMEOUT); // taken by the thread, parks in jnats
        Await.until("the publishing thread is inside jnats", () -> fake.caller != null);
        publisher.publish("s", new byte[2]).block(TestBlocks.TIMEOUT);
        publisher.publish("s", new byte[3]).block(TestBlocks.TIMEOUT); // queue: 2 of 2

        assertThatThrownBy(() -> publisher.publish("s", new byte[4]).block(TestBlocks.TIMEOUT))
                .isInstanceOf(PublishQueueFullException.class)
                .hasMessageContaining("queueCapacity=2")
                .satisfies(e ->
                        assertThat(((PublishQueueFullException) e).capacity()).isEqualTo(2));
        assertThatThrownBy(() -> publisher.flush().block(TestBlocks.TIMEOUT))
                .isInstanceOf(PublishQueueFullException.class);
        assertThat(publisher.discarded()).isEqualTo(1);
        assertThat(publisher.queued()).isEqualTo(2);

        fake.open();
        Await.until("the queued messages are sent", () -> publisher.sent() == 3);
        assertThat(fake.calls).containsExactly("publish s 1", "publish s 2", "publish s 3");
    }

    @Test
    void publish_jnatsThrows_countedAsFailureAndLaterMessagesGoOn() {
        publisher = NatsEventPublisher.create(fake.connection);
        fake.publishFailure = new IllegalStateException("Unable to queue any more messages during reconnect");
        publisher.publish("s", new byte[1]).block(TestBlocks.TIMEOUT); // accepted: the failure comes later
        Await.until("the failure is counted", () -> publisher.publishFailures() == 1);

        fake.publishFailure = null;
        publisher.publish("s", new byte[2]).block(TestBlocks.TIMEOUT);
        Await.until("the next message is sent", () -> publisher.sent() == 1);
        assertThat(fake.calls).containsExactly("publish s 2");
    }

    @Test
    void flush_afterPublishes_completesAfterThemOnThePublishingThread() {
        publisher = NatsEventPublisher.create(fake.connection);
        publisher.publish("a", new byte[1]).block(TestBlocks.TIMEOUT);
        publisher.publish("b", new byte[1]).block(TestBlocks.TIMEOUT);
        AtomicReference<String> thread = new AtomicReference<>();

        publisher
                .flush()
                .doOnSuccess(x -> thread.set(Thread.currentThread().getName()))
                .block(TestBlocks.TIMEOUT);

        assertThat(fake.calls).containsExactly("publish a 1", "publish b 1", "flush");
        assertThat(thread.get()).startsWith("kvbm-nats-publisher-");
    }

    @Test
    void flush_jnatsTimesOut_failsWithTheTimeout() {
        Connection timingOut = (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("flush")) {
                        throw new TimeoutException("Timeout or no response waiting for NATS Server");
                    }
                    return null;
                });
        publisher = NatsEventPublisher.builder(timingOut)
                .flushTimeout(Duration.ofMillis(10))
                .build();
        assertThatThrownBy(() -> publisher.flush().block(TestBlocks.TIMEOUT))
                .hasCauseInstanceOf(TimeoutException.class);
    }

    @Test
    void close_sendsWhatIsQueuedThenStops_laterPublishesFail() {
        publisher = NatsEventPublisher.create(fake.connection);
        fake.shut();
        publisher.publish("s", new byte[1]).block(TestBlocks.TIMEOUT);
        publisher.publish("s", new byte[2]).block(TestBlocks.TIMEOUT);
        Mono<Void> closed = publisher.close();
        assertThatThrownBy(() -> publisher.publish("s", new byte[3]).block(TestBlocks.TIMEOUT))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> publisher.flush().block(TestBlocks.TIMEOUT)).hasMessageContaining("closed");

        fake.open();
        closed.block(TestBlocks.TIMEOUT);
        assertThat(publisher.sent()).isEqualTo(2);
        assertThat(publisher.close().block(Duration.ofSeconds(1)))
                .as("idempotent")
                .isNull();
    }

    @Test
    void builder_badValues_rejectedNamingThem() {
        assertThatThrownBy(() -> NatsEventPublisher.builder(fake.connection).queueCapacity(0))
                .hasMessageContaining("queueCapacity");
        assertThatThrownBy(() -> NatsEventPublisher.builder(fake.connection).flushTimeout(Duration.ZERO))
                .hasMessageContaining("flushTimeout");
        assertThatThrownBy(() -> NatsEventPublisher.builder(null)).hasMessageContaining("connection");
    }
}
