package io.kvbm.examples.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TraceReaderTest {

    private static final String GOOD =
            "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 12, " + "\"hash_ids\": [0, 1]}";

    @Test
    void read_validLines_parsesEveryFieldAndSkipsBlankLines() throws IOException {
        String text = GOOD + "\n\n{\"timestamp\": 27, \"input_length\": 10, \"output_length\": 3, \"hash_ids\": [0, 9],"
                + " \"extra\": \"ignored\"}\n";

        List<TraceRecord> records = TraceReader.read(new StringReader(text), "t.jsonl");

        assertThat(records)
                .containsExactly(
                        new TraceRecord(0, 600, 12, new long[] {0, 1}), new TraceRecord(27, 10, 3, new long[] {0, 9}));
    }

    @Test
    void read_truncatedLine_failsNamingTheLineNumber() {
        // A trace cut while being copied ends in half an object: the error must say where, not just "bad JSON".
        String text = GOOD + "\n" + GOOD + "\n{\"timestamp\": 5, \"input_length\": 600, \"hash_i";

        assertThatThrownBy(() -> TraceReader.read(new StringReader(text), "cut.jsonl"))
                .isInstanceOfSatisfying(
                        TraceFormatException.class,
                        e -> assertThat(e.lineNumber()).isEqualTo(3))
                .hasMessageStartingWith("cut.jsonl line 3: not a valid JSON object");
    }

    /** The bad-input catalogue's trace cases (docs/reliability.md): a line cut at every kind of place. */
    @ParameterizedTest(name = "cut after \"{0}\"")
    @ValueSource(
            strings = {
                "{",
                "{\"timestamp\"",
                "{\"timestamp\": 5,",
                "{\"timestamp\": 5, \"input_length\": 60",
                "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": [0, 1",
                "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": [0, 1]"
            })
    void read_lineCutAnywhere_failsNamingTheLineAndKeepsNothingPartial(String cut) {
        String text = GOOD + "\n" + cut + "\n" + GOOD + "\n";

        assertThatThrownBy(() -> TraceReader.read(new StringReader(text), "cut.jsonl"))
                .isInstanceOfSatisfying(
                        TraceFormatException.class,
                        e -> assertThat(e.lineNumber()).isEqualTo(2))
                .hasMessageStartingWith("cut.jsonl line 2: ");
    }

    @Test
    void read_missingField_failsNamingFieldAndLine() {
        String text = GOOD + "\n{\"timestamp\": 5, \"input_length\": 600, \"hash_ids\": [1]}\n";

        assertThatThrownBy(() -> TraceReader.read(new StringReader(text), "t.jsonl"))
                .isInstanceOf(TraceFormatException.class)
                .hasMessage("t.jsonl line 2: missing field output_length");
    }

    @Test
    void read_nonIntegerHashId_failsNamingIndexAndLine() {
        String text = "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": [1, \"x\"]}";

        assertThatThrownBy(() -> TraceReader.read(new StringReader(text), "t.jsonl"))
                .isInstanceOf(TraceFormatException.class)
                .hasMessage("t.jsonl line 1: hash_ids[1] must be an integer, got \"x\"");
    }

    @Test
    void read_hashIdsNotAnArray_failsNamingTheField() {
        String text = "{\"timestamp\": 5, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": 7}";

        assertThatThrownBy(() -> TraceReader.read(new StringReader(text), "t.jsonl"))
                .isInstanceOf(TraceFormatException.class)
                .hasMessage("t.jsonl line 1: field hash_ids must be an array of integers, got 7");
    }

    @Test
    void read_negativeLength_failsNamingTheRule() {
        String text = "{\"timestamp\": 5, \"input_length\": -1, \"output_length\": 1, \"hash_ids\": []}";

        assertThatThrownBy(() -> TraceReader.read(new StringReader(text), "t.jsonl"))
                .isInstanceOf(TraceFormatException.class)
                .hasMessage("t.jsonl line 1: input_length must be >= 0, got -1");
    }

    @Test
    void read_notAnObject_failsNamingTheLine() {
        assertThatThrownBy(() -> TraceReader.read(new StringReader(GOOD + "\n[1, 2]"), "t.jsonl"))
                .isInstanceOf(TraceFormatException.class)
                .hasMessageStartingWith("t.jsonl line 2: expected a JSON object");
    }

    @Test
    void write_thenRead_roundTripsEveryRecord(@TempDir Path dir) throws IOException {
        Trace trace = new WorkloadGenerator(WorkloadConfig.defaults().withSessions(20)).generate();
        Path file = dir.resolve("sub").resolve("w.jsonl");

        TraceWriter.write(trace, file);

        assertThat(TraceReader.read(file).records()).isEqualTo(trace.records());
        assertThat(TraceReader.read(file).name()).isEqualTo("w.jsonl");
    }

    @Test
    void write_record_usesTheMooncakeFieldNames() throws IOException {
        StringWriter out = new StringWriter();

        TraceWriter.write(new Trace("t", List.of(new TraceRecord(3, 700, 9, new long[] {4, 5}))), out);

        assertThat(out.toString())
                .isEqualTo("{\"timestamp\": 3, \"input_length\": 700, \"output_length\": 9, \"hash_ids\": [4, 5]}\n");
    }

    @Test
    void read_missingFile_failsNamingThePath(@TempDir Path dir) {
        Path missing = dir.resolve("nope.jsonl");

        assertThatThrownBy(() -> TraceReader.read(missing)).hasMessageContaining(missing.toString());
        assertThat(Files.exists(missing)).isFalse();
    }

    @Test
    void sequenceHashes_sharedPrefix_sameHashesUntilTheFirstDifference() {
        TraceRecord a = new TraceRecord(0, 3 * 512, 1, new long[] {7, 8, 9});
        TraceRecord b = new TraceRecord(0, 3 * 512, 1, new long[] {7, 8, 10});
        TraceRecord c = new TraceRecord(0, 2 * 512, 1, new long[] {6, 8});

        assertThat(b.sequenceHashes().subList(0, 2))
                .isEqualTo(a.sequenceHashes().subList(0, 2));
        assertThat(b.sequenceHashes().get(2)).isNotEqualTo(a.sequenceHashes().get(2));
        // the same block id under another prefix is another block
        assertThat(c.sequenceHashes().get(1)).isNotEqualTo(a.sequenceHashes().get(1));
        assertThat(a.sequenceHashes().get(2).position()).isEqualTo(2);
    }
}
