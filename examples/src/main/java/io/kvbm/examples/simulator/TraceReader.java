package io.kvbm.examples.simulator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads Mooncake-format JSON lines: one object per line with {@code timestamp} (ms), {@code input_length},
 * {@code output_length} and {@code hash_ids} (an array of integers). Blank lines are skipped; unknown fields are
 * ignored. A line that is not valid JSON (for example a truncated last line), lacks a field or has one of the wrong
 * type fails the whole read with a {@link TraceFormatException} naming the line number.
 */
public final class TraceReader {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TraceReader() {}

    /**
     * Reads a whole trace file.
     *
     * @param file the JSON-lines file
     * @return the trace, named after the file
     * @throws TraceFormatException on the first bad line
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Trace read(Path file) {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new Trace(file.getFileName().toString(), read(in, file.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read trace " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads records from a character stream.
     *
     * @param in the stream; not closed
     * @param source the name used in error messages
     * @return the records in order
     * @throws TraceFormatException on the first bad line
     * @throws IOException if reading fails
     */
    public static List<TraceRecord> read(Reader in, String source) throws IOException {
        BufferedReader lines = in instanceof BufferedReader b ? b : new BufferedReader(in);
        List<TraceRecord> records = new ArrayList<>();
        long lineNumber = 0;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            lineNumber++;
            if (!line.isBlank()) {
                records.add(parse(line, source, lineNumber));
            }
        }
        return records;
    }

    /**
     * Parses one line.
     *
     * @param line the JSON object
     * @param source the name used in error messages
     * @param lineNumber the 1-based line number used in error messages
     * @return the record
     * @throws TraceFormatException if the line is not a valid record
     */
    public static TraceRecord parse(String line, String source, long lineNumber) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new TraceFormatException(
                    source, lineNumber, "not a valid JSON object (truncated line?): " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new TraceFormatException(source, lineNumber, "expected a JSON object, got " + line, null);
        }
        long timestamp = integer(node, "timestamp", source, lineNumber);
        long input = integer(node, "input_length", source, lineNumber);
        long output = integer(node, "output_length", source, lineNumber);
        JsonNode ids = node.get("hash_ids");
        if (ids == null || !ids.isArray()) {
            throw new TraceFormatException(
                    source, lineNumber, "field hash_ids must be an array of integers, got " + ids, null);
        }
        long[] hashIds = new long[ids.size()];
        for (int i = 0; i < hashIds.length; i++) {
            JsonNode id = ids.get(i);
            if (!id.canConvertToExactIntegral() || !id.canConvertToLong()) {
                throw new TraceFormatException(
                        source, lineNumber, "hash_ids[" + i + "] must be an integer, got " + id, null);
            }
            hashIds[i] = id.asLong();
        }
        try {
            return new TraceRecord(timestamp, Math.toIntExact(input), Math.toIntExact(output), hashIds);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new TraceFormatException(source, lineNumber, e.getMessage(), e);
        }
    }

    private static long integer(JsonNode node, String field, String source, long lineNumber) {
        JsonNode value = node.get(field);
        if (value == null) {
            throw new TraceFormatException(source, lineNumber, "missing field " + field, null);
        }
        if (!value.canConvertToExactIntegral() || !value.canConvertToLong()) {
            throw new TraceFormatException(
                    source, lineNumber, "field " + field + " must be an integer, got " + value, null);
        }
        return value.asLong();
    }
}
