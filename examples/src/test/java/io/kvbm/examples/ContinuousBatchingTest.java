package io.kvbm.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.manager.BlockManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Runs the continuous-batching example (under BlockHound) and checks that it shows what it is for. */
class ContinuousBatchingTest {

    @Test
    void run_builtInRequests_finishEverythingWithPreemptionsReacquisitionsAndPrefixHits() {
        BlockManager manager =
                BlockManager.builder().blockCount(16).blockSize(4).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        boolean balanced = ContinuousBatching.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), manager);

        String output = bytes.toString(StandardCharsets.UTF_8);
        assertThat(balanced).as(output).isTrue();
        assertThat(output)
                .contains("done: 10 of 10 requests finished")
                .contains(" preempted")
                .contains(" reacquired (")
                .containsPattern("\\+r\\d \\([1-9] prefix hits?\\)")
                .containsPattern("step \\d+ \\| batch 4 \\|");
        assertThat(manager.resetBlocks() + manager.inactiveBlocks()).isEqualTo(manager.totalBlocks());
        manager.close().block(Duration.ofSeconds(5));
    }
}
