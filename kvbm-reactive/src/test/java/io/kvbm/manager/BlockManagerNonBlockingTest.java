package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.allocate;
import static io.kvbm.testing.TestBlocks.closeAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.WeakBlock;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Drives every manager path from {@code parallel()} threads, where BlockHound (installed in every test JVM, see
 * {@link io.kvbm.testing.BlockHoundSmokeTest}) turns any blocking call into a {@code BlockingOperationError}. Such an
 * error surfaces either as {@code onError} of the operation or as an internal error of the drain loop, which
 * {@link StoreAudit#violations} reports; so completing cleanly here proves the paths never block. Each test also
 * checks that the work really ran on {@code parallel()} threads, or it would prove nothing.
 */
class BlockManagerNonBlockingTest {

    @Test
    void lifecycle_everyStepOnParallelThreads_completesWithoutBlocking() {
        BlockManager m = TestManagers.create(8);
        List<SequenceHash> chain = TestTokens.chain(0, 4);
        Set<String> threads = ConcurrentHashMap.newKeySet();

        Mono<Integer> lifecycle = Mono.defer(() -> m.allocate(4))
                .subscribeOn(Schedulers.parallel())
                .doOnNext(x -> threads.add(Thread.currentThread().getName()))
                .map(blocks -> {
                    List<CompleteBlock> staged = new ArrayList<>();
                    for (int i = 0; i < blocks.size(); i++) {
                        staged.add(blocks.get(i).stage(chain.get(i), m.blockSize()));
                    }
                    return staged;
                })
                .flatMap(m::registerAll)
                .publishOn(Schedulers.parallel())
                .flatMap(handles -> m.match(chain).collectList().flatMap(matched -> {
                    threads.add(Thread.currentThread().getName());
                    closeAll(matched);
                    WeakBlock weak = handles.get(3).downgrade();
                    ImmutableBlock extra = handles.get(0).retain();
                    handles.get(1).evictOnRelease(true);
                    closeAll(handles);
                    extra.close();
                    return weak.upgrade();
                }))
                .publishOn(Schedulers.parallel())
                .flatMap(upgraded -> {
                    threads.add(Thread.currentThread().getName());
                    upgraded.close();
                    return m.scan(chain, true);
                })
                .flatMap(hits -> {
                    closeAll(hits.values());
                    // 5 reset + 3 cached: evicts one
                    return m.withBlocks(
                            6,
                            blocks -> Mono.fromCallable(() -> {
                                blocks.get(0)
                                        .stage(chain.get(0), m.blockSize())
                                        .reset()
                                        .close();
                                return blocks.size();
                            }));
                })
                .flatMap(n -> m.tryAllocate(2).doOnNext(TestBlocks::closeAll).thenReturn(n))
                .flatMap(n -> m.resetInactive().thenReturn(n))
                .flatMap(n -> m.close().thenReturn(n));

        StepVerifier.create(lifecycle).expectNext(6).expectComplete().verify(TIMEOUT);

        assertThat(threads).isNotEmpty().allSatisfy(name -> assertThat(name).startsWith("parallel-"));
        assertThat(m.isClosed()).isTrue();
        assertThat(m.stats().evictions()).isEqualTo(1);
        assertThat(StoreAudit.violations(m)).isEmpty();
    }

    @Test
    void waitingAllocation_servedByAReleaseOnAParallelThread_completesWithoutBlocking() {
        BlockManager m = TestManagers.create(2);
        List<MutableBlock> held = allocate(m, 2);
        Set<String> servedOn = ConcurrentHashMap.newKeySet();

        StepVerifier.create(m.allocate(2)
                        .doOnNext(b -> servedOn.add(Thread.currentThread().getName())))
                .expectSubscription()
                .then(() -> Schedulers.parallel().schedule(() -> closeAll(held)))
                .consumeNextWith(TestBlocks::closeAll)
                .expectComplete()
                .verify(TIMEOUT);

        assertThat(servedOn).singleElement().asString().startsWith("parallel-");
    }

    @Test
    void contendedOperations_fromManyParallelThreads_completeWithoutBlocking() {
        BlockManager m = TestManagers.create(16, b -> b.maxPendingAllocations(10_000));
        List<SequenceHash> chain = TestTokens.chain(100, 8);
        Set<String> threads = ConcurrentHashMap.newKeySet();

        Flux<Integer> work = Flux.range(0, 400)
                .flatMap(
                        i -> Mono.defer(() -> {
                                    threads.add(Thread.currentThread().getName());
                                    int n = 1 + i % 4;
                                    return m.withBlocks(n, blocks -> {
                                        int at = i % chain.size();
                                        CompleteBlock staged = blocks.get(0).stage(chain.get(at), m.blockSize());
                                        return m.register(staged)
                                                .flatMap(handle -> m.match(chain.subList(0, at + 1))
                                                        .take(1 + i % 3)
                                                        .doOnNext(ImmutableBlock::close)
                                                        .then(Mono.fromRunnable(handle::close))
                                                        .thenReturn(n));
                                    });
                                })
                                .subscribeOn(Schedulers.parallel()),
                        32);

        StepVerifier.create(work).expectNextCount(400).expectComplete().verify(Duration.ofSeconds(30));

        assertThat(threads).isNotEmpty().allSatisfy(name -> assertThat(name).startsWith("parallel-"));
        assertThat(m.pendingAllocations()).isZero();
        assertThat(m.stats().inflightImmutable()).isZero();
    }

    @Test
    void timedOutWaiter_cancelledOnAParallelThread_completesWithoutBlocking() {
        BlockManager m = TestManagers.create(1);
        MutableBlock held = m.allocate().block(TIMEOUT);

        // the real timer of timeout() fires on parallel(): the cancel and the waiter's removal run there
        StepVerifier.create(m.allocate().timeout(Duration.ofMillis(20)))
                .expectError(TimeoutException.class)
                .verify(TIMEOUT);

        assertThat(m.pendingAllocations()).isZero();
        held.close();
    }
}
