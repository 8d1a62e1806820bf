package io.kvbm.examples.simulator;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes records as Mooncake-format JSON lines, the format {@link TraceReader} reads. */
public final class TraceWriter {

    private TraceWriter() {}

    /**
     * Writes a trace to a file, replacing it.
     *
     * @param trace the requests
     * @param file the target; parent directories are created
     * @throws IOException if writing fails
     */
    public static void write(Trace trace, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(trace, out);
        }
    }

    /**
     * Writes a trace, one line per record.
     *
     * @param trace the requests
     * @param out the stream; not closed
     * @throws IOException if writing fails
     */
    public static void write(Trace trace, Writer out) throws IOException {
        StringBuilder line = new StringBuilder(256);
        for (TraceRecord r : trace.records()) {
            line.setLength(0);
            line.append("{\"timestamp\": ").append(r.timestamp());
            line.append(", \"input_length\": ").append(r.inputLength());
            line.append(", \"output_length\": ").append(r.outputLength());
            line.append(", \"hash_ids\": [");
            for (int i = 0; i < r.blocks(); i++) {
                if (i > 0) {
                    line.append(", ");
                }
                line.append(r.hashId(i));
            }
            line.append("]}\n");
            out.write(line.toString());
        }
    }
}
