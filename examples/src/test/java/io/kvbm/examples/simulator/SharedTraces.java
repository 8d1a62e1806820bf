package io.kvbm.examples.simulator;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the Mooncake traces in {@code ../shared/traces} beside the repository (they are never copied into it): walks
 * up from the module directory and skips the calling test when they are absent.
 */
final class SharedTraces {

    static final String CONVERSATION = "mooncake_conversation_trace.jsonl";

    private SharedTraces() {}

    static Path require(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("traces").resolve(name);
            if (Files.isReadable(candidate)) {
                return candidate;
            }
        }
        assumeTrue(false, "trace " + name + " not found in shared/traces beside any parent of the module directory");
        throw new AssertionError("unreachable");
    }
}
