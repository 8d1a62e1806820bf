package io.kvbm;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.manager.BlockManager;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Reactor Netty, Micrometer and the Prometheus client are optional dependencies: only {@code io.kvbm.metrics} and
 * {@code io.kvbm.transport.http} may refer to them, so that the rest of the library loads and runs without them. Reads
 * the constant pool of every other compiled class (class references appear there as {@code io/micrometer/...}).
 */
class OptionalDependenciesTest {

    private static final List<String> OPTIONAL =
            List.of("io/micrometer/", "io/prometheus/", "reactor/netty/", "io/netty/");

    private static final List<String> ALLOWED = List.of("io/kvbm/metrics/", "io/kvbm/transport/http/");

    @Test
    void coreClasses_neverReferToAnOptionalDependency() throws IOException, URISyntaxException {
        Path classes = Path.of(BlockManager.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        assertThat(classes).as("compiled classes as a directory (surefire)").isDirectory();
        List<String> offenders = new ArrayList<>();
        int checked = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String name = classes.relativize(file).toString().replace('\\', '/');
                if (ALLOWED.stream().anyMatch(name::startsWith)) {
                    continue;
                }
                checked++;
                String pool = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                for (String dependency : OPTIONAL) {
                    if (pool.contains(dependency)) {
                        offenders.add(name + " -> " + dependency);
                    }
                }
            }
        }

        assertThat(checked).as("core classes checked").isGreaterThan(50);
        assertThat(offenders).isEmpty();
    }
}
