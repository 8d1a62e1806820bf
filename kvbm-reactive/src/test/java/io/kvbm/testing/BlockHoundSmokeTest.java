package io.kvbm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Proves that BlockHound is installed in this test JVM: without this test a missing JVM flag would silently turn
 * every "nothing blocks" assertion of the suite into a no-op.
 */
class BlockHoundSmokeTest {

    @Test
    void sleep_onParallelThread_isDetected() {
        Mono<Void> blocking = Mono.<Void>fromRunnable(() -> {
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })
                .subscribeOn(Schedulers.parallel());

        StepVerifier.create(blocking)
                .expectErrorSatisfies(e -> assertThat(e)
                        .isInstanceOf(BlockingOperationError.class)
                        // JDK 17 names Thread.sleep, JDK 25 Thread.sleepNanos0
                        .hasMessageContaining("Thread.sleep"))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void sleep_onBoundedElastic_isAllowed() {
        Mono<String> blocking = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "done";
                })
                .subscribeOn(Schedulers.boundedElastic());

        StepVerifier.create(blocking).expectNext("done").verifyComplete();
    }
}
