package io.kvbm.transport.nats;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.StorageTier;
import io.kvbm.manager.BlockManager;
import io.kvbm.router.KvIndexer;
import io.kvbm.router.OverlapScores;
import io.kvbm.testing.TierContent;
import io.kvbm.tokens.SequenceHash;
import java.util.List;
import java.util.Set;

/** Checks the router's overlap scores against what each manager really holds. */
final class OverlapCheck {

    private OverlapCheck() {}

    /** The router's score of each worker for {@code chain} is the length of the prefix of it the worker holds. */
    static void scoresAgreeWithManagers(KvIndexer indexer, List<BlockManager> workers, List<SequenceHash> chain) {
        OverlapScores scores = indexer.findMatches(chain);
        for (BlockManager m : workers) {
            Set<SequenceHash> held = TierContent.of(m);
            int prefix = 0;
            while (prefix < chain.size() && held.contains(chain.get(prefix))) {
                prefix++;
            }
            assertThat(scores.score(m.instanceId(), StorageTier.G1))
                    .as("score of worker %d", m.instanceId())
                    .isEqualTo(prefix);
        }
    }
}
