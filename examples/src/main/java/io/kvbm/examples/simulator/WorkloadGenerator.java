package io.kvbm.examples.simulator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates the simulator's built-in workload: multi-turn conversations that share Zipf-popular prefixes, written as
 * Mooncake-format records so that every engine treats it exactly like a real trace.
 *
 * <p>Each conversation starts with one of a few system prompts (Zipf-popular: a handful of them serve most traffic),
 * optionally followed by one of many shared documents (Zipf-popular too), then alternates user messages and answers.
 * Turn {@code t}'s prompt is the whole conversation so far plus the new user message, so it shares with turn
 * {@code t-1} every block that was full when turn {@code t-1}'s answer ended. Block content ids are assigned like
 * Mooncake's: the same content at the same place of a shared prefix gets the same id; every full block of a
 * conversation gets a fresh id the first time it exists; the trailing partial block of a prompt gets a fresh id each
 * turn, because its content changes as the conversation grows.
 *
 * <p>Conversations arrive as a Poisson process; turns are separated by exponential think times plus the answer's
 * generation time (20 ms per output token). The records are sorted by timestamp (ties keep generation order), so the
 * file order is the arrival order. Deterministic: the same {@link WorkloadConfig} (seed included) always produces the
 * same trace.
 */
public final class WorkloadGenerator {

    private static final double MILLIS_PER_OUTPUT_TOKEN = 20.0;

    private final WorkloadConfig config;

    /**
     * Creates a generator.
     *
     * @param config the knobs, seed included
     */
    public WorkloadGenerator(WorkloadConfig config) {
        this.config = config;
    }

    /**
     * Generates the trace.
     *
     * @return the requests in arrival order, named after the seed and size
     */
    public Trace generate() {
        WorkloadConfig c = config;
        SplittableRandom random = new SplittableRandom(c.seed());
        long[] nextId = {0};

        long[][] systemPrompts = new long[c.systemPrompts()][];
        for (int i = 0; i < systemPrompts.length; i++) {
            systemPrompts[i] = freshIds(nextId, between(random, c.minSystemPromptBlocks(), c.maxSystemPromptBlocks()));
        }
        long[][] documents = new long[c.documents()][];
        for (int i = 0; i < documents.length; i++) {
            documents[i] = freshIds(nextId, between(random, c.minDocumentBlocks(), c.maxDocumentBlocks()));
        }
        ZipfSampler promptPopularity = new ZipfSampler(c.systemPrompts(), c.systemPromptZipf());
        ZipfSampler documentPopularity = new ZipfSampler(c.documents(), c.documentZipf());

        List<Timed> timed = new ArrayList<>();
        double sessionStart = 0;
        int bs = c.blockSize();
        for (int s = 0; s < c.sessions(); s++) {
            sessionStart += exponential(random, 1000.0 / c.sessionsPerSecond());
            // A document is whole blocks appended to the whole-block system prompt: a shared prefix of full blocks.
            List<Long> full = new ArrayList<>();
            for (long id : systemPrompts[promptPopularity.sample(random)]) {
                full.add(id);
            }
            if (random.nextDouble() < c.documentProbability()) {
                for (long id : documents[documentPopularity.sample(random)]) {
                    full.add(id);
                }
            }
            long tokens = (long) full.size() * bs;
            int turns = Math.min(c.maxTurns(), geometric(random, c.meanTurns()));
            double t = sessionStart;
            for (int turn = 0; turn < turns; turn++) {
                tokens += between(random, c.minUserTokens(), c.maxUserTokens());
                int blocks = (int) ((tokens + bs - 1) / bs);
                int fullBlocks = (int) (tokens / bs);
                long[] hashIds = new long[blocks];
                for (int i = 0; i < blocks; i++) {
                    if (i < full.size()) {
                        hashIds[i] = full.get(i);
                    } else {
                        hashIds[i] = nextId[0]++;
                        if (i < fullBlocks) {
                            full.add(hashIds[i]); // a full block keeps its content, hence its id, next turn
                        }
                    }
                }
                int output = between(random, c.minOutputTokens(), c.maxOutputTokens());
                timed.add(new Timed((long) t, timed.size(), new TraceRecord((long) t, (int) tokens, output, hashIds)));
                // The answer completes blocks that first appear in the next prompt (fresh ids then).
                tokens += output;
                t += output * MILLIS_PER_OUTPUT_TOKEN + exponential(random, c.meanThinkSeconds() * 1000.0);
            }
        }
        timed.sort(Comparator.comparingLong(Timed::timestamp).thenComparingInt(Timed::order));
        List<TraceRecord> records = new ArrayList<>(timed.size());
        for (Timed x : timed) {
            records.add(x.record());
        }
        return new Trace("built-in workload (seed " + c.seed() + ", " + c.sessions() + " conversations)", records);
    }

    private static long[] freshIds(long[] nextId, int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = nextId[0]++;
        }
        return ids;
    }

    private static int between(SplittableRandom random, int min, int max) {
        return min == max ? min : random.nextInt(min, max + 1);
    }

    private static double exponential(SplittableRandom random, double mean) {
        return mean <= 0 ? 0 : -mean * Math.log(1.0 - random.nextDouble());
    }

    /** 1 + Geometric(p) with mean {@code mean}. */
    private static int geometric(SplittableRandom random, double mean) {
        double p = 1.0 / mean;
        int n = 1;
        while (n < 10_000 && random.nextDouble() >= p) {
            n++;
        }
        return n;
    }

    private record Timed(long timestamp, int order, TraceRecord record) {}
}
