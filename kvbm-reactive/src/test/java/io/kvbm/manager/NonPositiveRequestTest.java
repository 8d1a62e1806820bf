package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.closeAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

/**
 * Reactive Streams rule 3.9: {@code request(n)} with {@code n <= 0} MUST signal {@code onError} with an
 * {@link IllegalArgumentException}. Reactor's own operators never request less than one, so only a hand-written
 * subscriber can break the rule; the library's subscriptions must then end with that error and perform nothing
 * (nothing allocated, looked up or consumed), instead of silently ignoring the request and leaving the subscriber
 * waiting forever.
 */
class NonPositiveRequestTest {

    static Stream<Arguments> publishers() {
        return Stream.of(
                publisher("allocate()", m -> m.allocate()),
                publisher("allocate(2)", m -> m.allocate(2)),
                publisher("tryAllocate(2)", m -> m.tryAllocate(2)),
                publisher("allocateWithEvictions(2)", m -> m.allocateWithEvictions(2)),
                publisher("scan", m -> m.scan(TestTokens.chain(0, 2))),
                publisher("resetInactive", BlockManager::resetInactive),
                publisher("close", BlockManager::close));
    }

    private static Arguments publisher(String name, Function<BlockManager, Publisher<?>> call) {
        return Arguments.of(Named.of(name, call));
    }

    @ParameterizedTest(name = "{0} request({1})")
    @MethodSource("cases")
    void request_nonPositive_signalsIllegalArgumentAndDoesNothing(
            Function<BlockManager, Publisher<?>> call, long demand) {
        BlockManager m = TestManagers.create(4);
        TestBlocks.cache(m, TestTokens.chain(0, 2));
        BlockManagerStats before = m.stats();
        RawSubscriber<Object> subscriber = new RawSubscriber<>();

        call.apply(m).subscribe(subscriber);
        subscriber.subscription.request(demand);

        assertThat(subscriber.error)
                .as("onError after request(%d)", demand)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3.9")
                .hasMessageContaining(Long.toString(demand));
        assertThat(subscriber.values).isEmpty();
        assertThat(subscriber.completed).isFalse();
        assertThat(m.isClosed()).isFalse();
        assertThat(m.inactiveBlocks()).as("nothing looked up or dropped").isEqualTo(2);
        assertThat(m.stats()).isEqualTo(before);
        subscriber.subscription.request(1); // after the terminal signal: a no-op (rule 3.6)
        assertThat(subscriber.values).isEmpty();
        assertThat(subscriber.signals).isEqualTo(1);
    }

    static Stream<Arguments> cases() {
        return publishers().flatMap(p -> Stream.of(0L, -1L, Long.MIN_VALUE).map(n -> Arguments.of(p.get()[0], n)));
    }

    @ParameterizedTest(name = "request({0})")
    @ValueSource(longs = {0, -1})
    void register_nonPositiveRequest_signalsIllegalArgumentAndLeavesTheBlockUnconsumed(long demand) {
        BlockManager m = TestManagers.create(2);
        CompleteBlock staged = TestBlocks.stage(m, TestTokens.roots(1, 1)).get(0);
        RawSubscriber<ImmutableBlock> subscriber = new RawSubscriber<>();

        m.register(staged).subscribe(subscriber);
        subscriber.subscription.request(demand);

        assertThat(subscriber.error).isInstanceOf(IllegalArgumentException.class);
        assertThat(m.stats().registrations()).isZero();
        ImmutableBlock registered = m.register(staged).block(TestBlocks.TIMEOUT); // still live
        registered.close();
    }

    @Test
    void allocate_nonPositiveRequestWhileWaiting_leavesTheLineWithTheError() {
        BlockManager m = TestManagers.create(1);
        MutableBlock held = m.allocate().block(TestBlocks.TIMEOUT);
        RawSubscriber<MutableBlock> subscriber = new RawSubscriber<>();
        m.allocate().subscribe(subscriber);
        subscriber.subscription.request(1);
        assertThat(m.pendingAllocations()).isEqualTo(1);

        subscriber.subscription.request(0);

        assertThat(subscriber.error).isInstanceOf(IllegalArgumentException.class);
        assertThat(m.pendingAllocations()).isZero();
        held.close();
        assertThat(subscriber.values).isEmpty();
        assertThat(m.availableBlocks()).isEqualTo(1);
    }

    @Test
    void match_nonPositiveFirstRequest_closesEveryHandleOfTheLookup() {
        BlockManager m = TestManagers.create(3);
        List<SequenceHash> chain = TestTokens.chain(5, 3);
        TestBlocks.cache(m, chain);
        RawSubscriber<ImmutableBlock> subscriber = new RawSubscriber<>();
        m.match(chain).subscribe(subscriber); // the lookup runs at subscription, whatever the demand

        subscriber.subscription.request(0);

        assertThat(subscriber.error).isInstanceOf(IllegalArgumentException.class);
        assertThat(subscriber.values).isEmpty();
        assertThat(subscriber.signals).isEqualTo(1);
        assertThat(m.stats().inflightImmutable()).isZero();
        assertThat(m.inactiveBlocks()).isEqualTo(3);
    }

    @Test
    void match_nonPositiveRequestAfterPartialDelivery_closesWhatWasNotDelivered() {
        BlockManager m = TestManagers.create(3);
        List<SequenceHash> chain = TestTokens.chain(5, 3);
        TestBlocks.cache(m, chain);
        RawSubscriber<ImmutableBlock> subscriber = new RawSubscriber<>();
        m.match(chain).subscribe(subscriber);
        subscriber.subscription.request(1);
        assertThat(subscriber.values).hasSize(1);

        subscriber.subscription.request(-1);

        assertThat(subscriber.error).isInstanceOf(IllegalArgumentException.class);
        assertThat(subscriber.values).hasSize(1);
        assertThat(m.stats().inflightImmutable()).isEqualTo(1);
        closeAll(subscriber.values);
        assertThat(m.inactiveBlocks()).isEqualTo(3);
    }

    /** A subscriber that requests nothing by itself and records every signal. */
    static final class RawSubscriber<T> implements CoreSubscriber<T> {
        @Nullable
        Subscription subscription;

        final List<T> values = new ArrayList<>();

        @Nullable
        Throwable error;

        boolean completed;
        int signals;

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
        }

        @Override
        public void onNext(T t) {
            values.add(t);
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            signals++;
        }

        @Override
        public void onComplete() {
            completed = true;
            signals++;
        }
    }
}
