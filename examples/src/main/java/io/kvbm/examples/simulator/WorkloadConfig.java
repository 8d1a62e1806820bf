package io.kvbm.examples.simulator;

/**
 * The knobs of the built-in workload ({@link WorkloadGenerator}). {@link #defaults()} is what the simulator replays when
 * it is given no trace; it is sized so that the README's main command (build plus a sweep of every policy over five
 * capacities) finishes in well under a minute on 2 cores.
 *
 * @param seed the random seed; the same config always yields the same trace
 * @param sessions number of conversations
 * @param sessionsPerSecond mean arrival rate of new conversations (Poisson)
 * @param meanTurns mean number of turns per conversation (geometric, at least 1)
 * @param maxTurns cap on the turns of one conversation
 * @param meanThinkSeconds mean pause between an answer and the next turn (exponential)
 * @param systemPrompts number of distinct system prompts; each conversation starts with one, Zipf-popular
 * @param systemPromptZipf Zipf exponent of the system prompt popularity
 * @param minSystemPromptBlocks shortest system prompt, in blocks
 * @param maxSystemPromptBlocks longest system prompt, in blocks
 * @param documents number of shared documents (a RAG corpus, a code base) a conversation may start with
 * @param documentZipf Zipf exponent of the document popularity
 * @param documentProbability probability that a conversation puts a document after its system prompt
 * @param minDocumentBlocks shortest document, in blocks
 * @param maxDocumentBlocks longest document, in blocks
 * @param minUserTokens shortest user message, in tokens
 * @param maxUserTokens longest user message, in tokens
 * @param minOutputTokens shortest answer, in tokens
 * @param maxOutputTokens longest answer, in tokens
 * @param blockSize tokens per block (512, as the Mooncake traces)
 */
public record WorkloadConfig(
        long seed,
        int sessions,
        double sessionsPerSecond,
        double meanTurns,
        int maxTurns,
        double meanThinkSeconds,
        int systemPrompts,
        double systemPromptZipf,
        int minSystemPromptBlocks,
        int maxSystemPromptBlocks,
        int documents,
        double documentZipf,
        double documentProbability,
        int minDocumentBlocks,
        int maxDocumentBlocks,
        int minUserTokens,
        int maxUserTokens,
        int minOutputTokens,
        int maxOutputTokens,
        int blockSize) {

    /**
     * Validates.
     *
     * @param seed any
     * @param sessions at least 1
     * @param sessionsPerSecond positive
     * @param meanTurns at least 1
     * @param maxTurns at least 1
     * @param meanThinkSeconds not negative
     * @param systemPrompts at least 1
     * @param systemPromptZipf not negative
     * @param minSystemPromptBlocks at least 1
     * @param maxSystemPromptBlocks at least the minimum
     * @param documents at least 1
     * @param documentZipf not negative
     * @param documentProbability in [0, 1]
     * @param minDocumentBlocks at least 1
     * @param maxDocumentBlocks at least the minimum
     * @param minUserTokens at least 1
     * @param maxUserTokens at least the minimum
     * @param minOutputTokens at least 1
     * @param maxOutputTokens at least the minimum
     * @param blockSize at least 1
     */
    public WorkloadConfig {
        require(sessions >= 1, "sessions must be >= 1, got " + sessions);
        require(sessionsPerSecond > 0, "sessionsPerSecond must be > 0, got " + sessionsPerSecond);
        require(meanTurns >= 1, "meanTurns must be >= 1, got " + meanTurns);
        require(maxTurns >= 1, "maxTurns must be >= 1, got " + maxTurns);
        require(meanThinkSeconds >= 0, "meanThinkSeconds must be >= 0, got " + meanThinkSeconds);
        require(systemPrompts >= 1, "systemPrompts must be >= 1, got " + systemPrompts);
        require(systemPromptZipf >= 0, "systemPromptZipf must be >= 0, got " + systemPromptZipf);
        require(
                minSystemPromptBlocks >= 1 && maxSystemPromptBlocks >= minSystemPromptBlocks,
                "system prompt blocks must satisfy 1 <= min <= max, got " + minSystemPromptBlocks + ", "
                        + maxSystemPromptBlocks);
        require(documents >= 1, "documents must be >= 1, got " + documents);
        require(documentZipf >= 0, "documentZipf must be >= 0, got " + documentZipf);
        require(
                documentProbability >= 0 && documentProbability <= 1,
                "documentProbability must be in [0, 1], got " + documentProbability);
        require(
                minDocumentBlocks >= 1 && maxDocumentBlocks >= minDocumentBlocks,
                "document blocks must satisfy 1 <= min <= max, got " + minDocumentBlocks + ", " + maxDocumentBlocks);
        require(
                minUserTokens >= 1 && maxUserTokens >= minUserTokens,
                "user tokens must satisfy 1 <= min <= max, got " + minUserTokens + ", " + maxUserTokens);
        require(
                minOutputTokens >= 1 && maxOutputTokens >= minOutputTokens,
                "output tokens must satisfy 1 <= min <= max, got " + minOutputTokens + ", " + maxOutputTokens);
        require(blockSize >= 1, "blockSize must be >= 1, got " + blockSize);
    }

    /**
     * Returns the built-in workload: 3 000 conversations arriving over about 17 minutes (3 per second), 4 turns on
     * average (at most 12), 16 system prompts of 2 to 12 blocks (Zipf 1.1), 1 000 documents of 4 to 32 blocks (Zipf 0.9)
     * in half of the conversations, user messages of 64 to 2 048 tokens and answers of 32 to 1 024 tokens. About 11 400
     * requests, 315 000 prompt blocks and 59 000 distinct ones, so that capacities of 1 000 to 20 000 blocks span the
     * interesting range.
     *
     * @return the default config with seed 42
     */
    public static WorkloadConfig defaults() {
        return new WorkloadConfig(
                42, 3000, 3.0, 4.0, 12, 30.0, 16, 1.1, 2, 12, 1000, 0.9, 0.5, 4, 32, 64, 2048, 32, 1024, 512);
    }

    /**
     * Returns this config with another seed.
     *
     * @param newSeed the seed
     * @return a copy
     */
    public WorkloadConfig withSeed(long newSeed) {
        return new WorkloadConfig(
                newSeed,
                sessions,
                sessionsPerSecond,
                meanTurns,
                maxTurns,
                meanThinkSeconds,
                systemPrompts,
                systemPromptZipf,
                minSystemPromptBlocks,
                maxSystemPromptBlocks,
                documents,
                documentZipf,
                documentProbability,
                minDocumentBlocks,
                maxDocumentBlocks,
                minUserTokens,
                maxUserTokens,
                minOutputTokens,
                maxOutputTokens,
                blockSize);
    }

    /**
     * Returns this config with another number of conversations.
     *
     * @param newSessions the number of conversations
     * @return a copy
     */
    public WorkloadConfig withSessions(int newSessions) {
        return new WorkloadConfig(
                seed,
                newSessions,
                sessionsPerSecond,
                meanTurns,
                maxTurns,
                meanThinkSeconds,
                systemPrompts,
                systemPromptZipf,
                minSystemPromptBlocks,
                maxSystemPromptBlocks,
                documents,
                documentZipf,
                documentProbability,
                minDocumentBlocks,
                maxDocumentBlocks,
                minUserTokens,
                maxUserTokens,
                minOutputTokens,
                maxOutputTokens,
                blockSize);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
