package io.kvbm.router;

import io.kvbm.block.StorageTier;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * How much of a request's prefix each worker holds: the answer of {@link KvIndexer#findMatches} (Dynamo's
 * {@code OverlapScores}).
 *
 * <p>The score of a worker on a tier is the number of leading hashes of the query that the tier holds, all of them,
 * without a hole: a worker holding hashes 0, 1 and 3 of the query scores 2. Workers that hold not even the first
 * hash are absent (score 0). Immutable.
 */
public final class OverlapScores {

    private final int queryLength;
    private final Map<StorageTier, Map<Long, Integer>> byTier;
    private final Map<Long, Integer> best;

    OverlapScores(int queryLength, Map<StorageTier, Map<Long, Integer>> byTier) {
        this.queryLength = queryLength;
        EnumMap<StorageTier, Map<Long, Integer>> tiers = new EnumMap<>(StorageTier.class);
        Map<Long, Integer> bestScores = new HashMap<>();
        byTier.forEach((tier, scores) -> {
            tiers.put(tier, Map.copyOf(scores));
            scores.forEach((worker, score) -> bestScores.merge(worker, score, Math::max));
        });
        this.byTier = Collections.unmodifiableMap(tiers);
        this.best = Map.copyOf(bestScores);
    }

    /**
     * Returns the number of hashes in the query.
     *
     * @return the query length, the largest possible score
     */
    public int queryLength() {
        return queryLength;
    }

    /**
     * Returns, per worker, its best score over its tiers: how much of the prefix one of its tiers holds.
     *
     * @return an unmodifiable map from worker id to a positive score
     */
    public Map<Long, Integer> scores() {
        return best;
    }

    /**
     * Returns the scores on one tier.
     *
     * @param tier the tier
     * @return an unmodifiable map from worker id to a positive score, empty if no worker's tier holds the first hash
     */
    public Map<Long, Integer> scores(StorageTier tier) {
        return byTier.getOrDefault(tier, Map.of());
    }

    /**
     * Returns a worker's best score over its tiers.
     *
     * @param instanceId the worker
     * @return the score, 0 if it holds not even the first hash
     */
    public int score(long instanceId) {
        return best.getOrDefault(instanceId, 0);
    }

    /**
     * Returns a worker's score on one tier.
     *
     * @param instanceId the worker
     * @param tier the tier
     * @return the score, 0 if that tier holds not even the first hash
     */
    public int score(long instanceId, StorageTier tier) {
        return scores(tier).getOrDefault(instanceId, 0);
    }

    /**
     * Returns the worker with the highest {@linkplain #scores() best score}, the smallest id among equals.
     *
     * @return the worker, or empty if no worker holds the first hash
     */
    public OptionalLong bestWorker() {
        long worker = 0;
        int top = 0;
        for (Map.Entry<Long, Integer> e : best.entrySet()) {
            int score = e.getValue();
            if (score > top || (score == top && score > 0 && e.getKey() < worker)) {
                top = score;
                worker = e.getKey();
            }
        }
        return top == 0 ? OptionalLong.empty() : OptionalLong.of(worker);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof OverlapScores
                && queryLength == ((OverlapScores) o).queryLength
                && byTier.equals(((OverlapScores) o).byTier);
    }

    @Override
    public int hashCode() {
        return 31 * queryLength + byTier.hashCode();
    }

    @Override
    public String toString() {
        return "OverlapScores[queryLength=" + queryLength + ", " + byTier + "]";
    }
}
