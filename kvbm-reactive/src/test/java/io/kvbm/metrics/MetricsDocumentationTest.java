package io.kvbm.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.common.docs.KeyName;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The meter tables of {@code docs/metrics.md} and {@code README.md} against {@link KvbmMeters}: a meter added, renamed
 * or re-described in the code fails here until the documentation says the same. Also checks that the Prometheus names
 * the documentation promises are the ones Micrometer's Prometheus naming convention produces.
 */
class MetricsDocumentationTest {

    /** Tests run in the module directory; the documentation lives one level up. */
    private static final Path ROOT = Path.of("..");

    @Test
    void docsMetricsTable_equalsTheMeterDocumentation() throws IOException {
        List<List<String>> rows = table(ROOT.resolve("docs/metrics.md"), "| meter | Prometheus series |");

        List<List<String>> expected = new ArrayList<>();
        for (KvbmMeters meter : KvbmMeters.values()) {
            expected.add(List.of(
                    code(meter.getName()),
                    code(meter.prometheusName()),
                    type(meter),
                    meter.unit(),
                    Arrays.stream(meter.getKeyNames())
                            .map(KeyName::asString)
                            .map(MetricsDocumentationTest::code)
                            .collect(Collectors.joining(", ")),
                    meter.description()));
        }
        assertThat(rows).containsExactlyElementsOf(expected);
    }

    @Test
    void readmeTable_equalsTheMeterDocumentation() throws IOException {
        List<List<String>> rows = table(ROOT.resolve("README.md"), "| Micrometer meter | Prometheus series |");

        List<List<String>> expected = new ArrayList<>();
        for (KvbmMeters meter : KvbmMeters.values()) {
            expected.add(List.of(code(meter.getName()), code(meter.prometheusName()), type(meter)));
        }
        assertThat(rows).containsExactlyElementsOf(expected);
    }

    @Test
    void docsMetrics_everyMeterSaysWhenItMoves() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/metrics.md"));
        String moves = doc.substring(doc.indexOf("## When each meter moves"));

        for (KvbmMeters meter : KvbmMeters.values()) {
            assertThat(moves).as(meter.getName()).contains("`" + meter.getName() + "`");
        }
        assertThat(doc)
                .contains("rate(kvbm_match_blocks_returned_total[5m])")
                .contains("rate(kvbm_match_hashes_requested_total[5m])");
    }

    @Test
    void prometheusName_isWhatThePrometheusNamingConventionProduces() {
        PrometheusNamingConvention convention = new PrometheusNamingConvention();
        for (KvbmMeters meter : KvbmMeters.values()) {
            String name = convention.name(meter.getName(), meter.getType(), null);
            String series = meter.getType() == io.micrometer.core.instrument.Meter.Type.TIMER
                    ? name + "_count"
                    : meter.getType() == io.micrometer.core.instrument.Meter.Type.COUNTER ? name + "_total" : name;
            assertThat(meter.prometheusName()).as(meter.getName()).isEqualTo(series);
        }
    }

    private static String code(String text) {
        return "`" + text + "`";
    }

    private static String type(KvbmMeters meter) {
        return meter.getType().name().toLowerCase(Locale.ROOT);
    }

    /** The body rows of the markdown table whose header starts with {@code header}, cells trimmed. */
    private static List<List<String>> table(Path file, String header) throws IOException {
        List<String> lines = Files.readAllLines(file);
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(header)) {
                start = i;
                break;
            }
        }
        assertThat(start).as("a table headed %s in %s", header, file).isNotNegative();
        List<List<String>> rows = new ArrayList<>();
        for (int i = start + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String line = lines.get(i).trim();
            rows.add(Arrays.stream(line.substring(1, line.length() - 1).split("\\|"))
                    .map(String::trim)
                    .toList());
        }
        return rows;
    }
}
