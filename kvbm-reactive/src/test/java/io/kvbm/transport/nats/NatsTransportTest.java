package io.kvbm.transport.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.testing.Await;
import io.kvbm.testing.NatsServerExtension;
import io.kvbm.testing.TestBlocks;
import io.kvbm.transport.Message;
import io.nats.client.Connection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.subscriber.TestSubscriber;

/** Publisher and subscriber against a real {@code nats-server} (skipped when it is not installed). */
class NatsTransportTest {

    @RegisterExtension
    static final NatsServerExtension NATS = new NatsServerExtension();

    private Connection publishing;
    private Connection subscribing;
    private NatsEventPublisher publisher;
    private NatsEventSubscriber subscriber;

    @BeforeEach
    void connect() {
        publishing = NATS.server().connect();
        subscribing = NATS.server().connect();
        publisher = NatsEventPublisher.create(publishing);
        subscriber = NatsEventSubscriber.create(subscribing);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        publisher.close().block(TestBlocks.TIMEOUT);
        subscriber.close();
        publishing.close();
        subscribing.close();
    }

    @Test
    void publish_subscribedFirst_roundTripsSubjectAndPayloadInOrder() {
        TestSubscriber<Message> received = TestSubscriber.create();
        subscriber.subscribe("test.events").subscribe(received);
        NATS.server().awaitSubscriptions("test.events", 1);

        for (int i = 0; i < 100; i++) {
            publisher.publish("test.events", new byte[] {(byte) i, 42}).block(TestBlocks.TIMEOUT);
        }
        publisher.flush().block(TestBlocks.TIMEOUT);

        Await.until("100 messages arrived", () -> received.getReceivedOnNext().size() == 100);
        List<Message> got = received.getReceivedOnNext();
        for (int i = 0; i < 100; i++) {
            assertThat(got.get(i)).isEqualTo(new Message("test.events", new byte[] {(byte) i, 42}));
        }
        assertThat(subscriber.received()).isEqualTo(100);
        assertThat(publisher.sent()).isEqualTo(100);
        received.cancel();
    }

    @Test
    void publish_twoSubscriptions_bothReceive_otherSubjectsNot() {
        TestSubscriber<Message> first = TestSubscriber.create();
        TestSubscriber<Message> second = TestSubscriber.create();
        TestSubscriber<Message> other = TestSubscriber.create();
        subscriber.subscribe("test.events").subscribe(first);
        subscriber.subscribe("test.events").subscribe(second);
        subscriber.subscribe("test.other").subscribe(other);
        NATS.server().awaitSubscriptions("test.events", 2);
        NATS.server().awaitSubscriptions("test.other", 1);

        publisher.publish("test.events", new byte[] {7}).block(TestBlocks.TIMEOUT);

        Await.until(
                "both subscriptions received",
                () -> first.getReceivedOnNext().size() == 1
                        && second.getReceivedOnNext().size() == 1);
        publisher.flush().block(TestBlocks.TIMEOUT);
        assertThat(other.getReceivedOnNext()).isEmpty();
        first.cancel();
        second.cancel();
        other.cancel();
    }

    @Test
    void cancel_subscription_unsubscribesFromTheServer() {
        TestSubscriber<Message> received = TestSubscriber.create();
        subscriber.subscribe("test.cancel").subscribe(received);
        NATS.server().awaitSubscriptions("test.cancel", 1);

        received.cancel();

        Await.until("the server dropped the subscription", () -> NATS.server().subscriptions("test.cancel") == 0);
    }

    @Test
    void subscribeAndPublish_fromParallelThreads_neverBlockThem() {
        // BlockHound is installed: jnats's subscribe or publish running on a parallel() thread would fail this test
        List<Disposable> subscriptions = new CopyOnWriteArrayList<>();
        List<Message> received = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Schedulers.parallel()
                .schedule(() ->
                        subscriptions.add(subscriber.subscribe("test.parallel").subscribe(received::add, errors::add)));
        NATS.server().awaitSubscriptions("test.parallel", 1);

        Flux.range(0, 50)
                .parallel(2)
                .runOn(Schedulers.parallel())
                .flatMap(i -> publisher
                        .publish("test.parallel", new byte[] {i.byteValue()})
                        .thenReturn(i))
                .sequential()
                .doOnError(errors::add)
                .blockLast(TestBlocks.TIMEOUT);

        Await.until("50 messages arrived", () -> received.size() == 50);
        assertThat(errors).isEmpty();
        subscriptions.forEach(Disposable::dispose);
    }
}
