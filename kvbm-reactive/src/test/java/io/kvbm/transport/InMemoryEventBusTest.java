package io.kvbm.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.testing.Races;
import io.kvbm.testing.TestBlocks;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.subscriber.TestSubscriber;

class InMemoryEventBusTest {

    private final InMemoryEventBus bus = InMemoryEventBus.create();

    @Test
    void publish_subscribedBefore_receivesSubjectAndPayload() {
        // kvbm-seq-events §6 invariant 20: a subscriber registered before publish receives subject + payload
        TestSubscriber<Message> subscriber = TestSubscriber.create();
        bus.subscriber().subscribe("test.events").subscribe(subscriber);

        bus.publisher().publish("test.events", new byte[] {1, 2, 3}).block(TestBlocks.TIMEOUT);

        assertThat(subscriber.getReceivedOnNext()).containsExactly(new Message("test.events", new byte[] {1, 2, 3}));
        subscriber.cancel();
    }

    @Test
    void publish_twoSubscribersOnTheSubject_bothReceive() {
        // kvbm-seq-events §6 invariant 20: two subscribers on the same subject both receive the message
        TestSubscriber<Message> first = TestSubscriber.create();
        TestSubscriber<Message> second = TestSubscriber.create();
        bus.subscriber().subscribe("test.events").subscribe(first);
        bus.subscriber().subscribe("test.events").subscribe(second);

        bus.publisher().publish("test.events", new byte[] {7}).block(TestBlocks.TIMEOUT);

        assertThat(first.getReceivedOnNext()).hasSize(1);
        assertThat(second.getReceivedOnNext()).isEqualTo(first.getReceivedOnNext());
        first.cancel();
        second.cancel();
    }

    @Test
    void publish_beforeAnySubscription_isLost() {
        bus.publisher().publish("test.events", new byte[] {1}).block(TestBlocks.TIMEOUT);
        TestSubscriber<Message> late = TestSubscriber.create();
        bus.subscriber().subscribe("test.events").subscribe(late);
        bus.publisher().publish("test.events", new byte[] {2}).block(TestBlocks.TIMEOUT);

        assertThat(late.getReceivedOnNext()).extracting(m -> m.payload()[0]).containsExactly((byte) 2);
        assertThat(bus.published()).isEqualTo(2);
        late.cancel();
    }

    @Test
    void publish_otherSubject_notDelivered_noWildcards() {
        TestSubscriber<Message> subscriber = TestSubscriber.create();
        bus.subscriber().subscribe("kvbm.*").subscribe(subscriber);
        bus.publisher().publish("kvbm.events", new byte[] {1}).block(TestBlocks.TIMEOUT);
        assertThat(subscriber.getReceivedOnNext()).isEmpty();
        subscriber.cancel();
    }

    @Test
    void publish_isLazy_nothingSentUntilSubscribed() {
        TestSubscriber<Message> subscriber = TestSubscriber.create();
        bus.subscriber().subscribe("s").subscribe(subscriber);
        Mono<Void> publish = bus.publisher().publish("s", new byte[] {1});
        assertThat(subscriber.getReceivedOnNext()).isEmpty();
        publish.block(TestBlocks.TIMEOUT);
        publish.block(TestBlocks.TIMEOUT);
        assertThat(subscriber.getReceivedOnNext()).hasSize(2);
        subscriber.cancel();
    }

    @Test
    void cancel_subscription_unregistersIt() {
        TestSubscriber<Message> subscriber = TestSubscriber.create();
        bus.subscriber().subscribe("s").subscribe(subscriber);
        assertThat(bus.subscriptions("s")).isEqualTo(1);
        subscriber.cancel();
        assertThat(bus.subscriptions("s")).isZero();
    }

    @Test
    void publish_subscriberWithoutDemand_buffersUpToItsSizeThenDropsCounted() {
        InMemoryEventBus small = InMemoryEventBus.create(2);
        TestSubscriber<Message> slow =
                TestSubscriber.builder().initialRequest(0).build();
        TestSubscriber<Message> fast = TestSubscriber.create();
        small.subscriber().subscribe("s").subscribe(slow);
        small.subscriber().subscribe("s").subscribe(fast);
        for (int i = 0; i < 5; i++) {
            small.publisher().publish("s", new byte[] {(byte) i}).block(TestBlocks.TIMEOUT);
        }
        slow.request(10);

        assertThat(slow.getReceivedOnNext()).extracting(m -> m.payload()[0]).containsExactly((byte) 0, (byte) 1);
        assertThat(fast.getReceivedOnNext()).hasSize(5);
        assertThat(small.dropped()).isEqualTo(3);
        slow.cancel();
        fast.cancel();
    }

    @Test
    void publish_fromManyParallelThreadsAtOnce_everyMessageDeliveredOnce() {
        TestSubscriber<Message> subscriber = TestSubscriber.create();
        bus.subscriber().subscribe("s").subscribe(subscriber);
        List<Runnable> racers = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            int racer = r;
            racers.add(() -> {
                for (int i = 0; i < 50; i++) {
                    bus.publisher()
                            .publish("s", new byte[] {(byte) racer, (byte) i})
                            .subscribe();
                }
            });
        }
        Races.race(racers.toArray(new Runnable[0]));

        assertThat(subscriber.getReceivedOnNext()).hasSize(200).doesNotHaveDuplicates();
        subscriber.cancel();
    }

    @Test
    void create_nonPositiveBuffer_rejectedNamingIt() {
        assertThatThrownBy(() -> InMemoryEventBus.create(0)).hasMessageContaining("bufferSize");
    }
}
