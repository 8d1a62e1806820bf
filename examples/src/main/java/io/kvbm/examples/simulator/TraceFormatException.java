package io.kvbm.examples.simulator;

/** A trace file line that is not a valid Mooncake record; the message names the file and line number. */
public final class TraceFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final long lineNumber;

    /**
     * Creates the exception.
     *
     * @param source the file or stream name
     * @param lineNumber the 1-based line number
     * @param problem what is wrong with the line
     * @param cause the parser's exception, or null
     */
    public TraceFormatException(String source, long lineNumber, String problem, Throwable cause) {
        super(source + " line " + lineNumber + ": " + problem, cause);
        this.lineNumber = lineNumber;
    }

    /**
     * Returns the 1-based number of the bad line.
     *
     * @return the line number
     */
    public long lineNumber() {
        return lineNumber;
    }
}
