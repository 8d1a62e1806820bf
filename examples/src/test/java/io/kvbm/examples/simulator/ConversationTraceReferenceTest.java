package io.kvbm.examples.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The acceptance check of the simulator (issue 7): on the Mooncake conversation trace, the infinite-cache bound and the
 * sequential LRU replay through a real {@code BlockManager} agree exactly with straightforward computations written
 * here from the definitions, without the simulator's code: hash-id prefixes as string keys, a {@link HashSet} for the
 * infinite cache and an insertion-ordered {@link LinkedHashMap} for LRU.
 */
class ConversationTraceReferenceTest {

    private static Trace trace;
    private static List<String[]> keys;

    @BeforeAll
    static void load() {
        trace = TraceReader.read(SharedTraces.require(SharedTraces.CONVERSATION));
        keys = trace.records().stream()
                .map(ConversationTraceReferenceTest::prefixKeys)
                .toList();
    }

    @Test
    void infiniteCacheBound_conversationTrace_equalsHashSetOfPrefixes() {
        Set<String> seen = new HashSet<>();
        long hits = 0;
        for (String[] request : keys) {
            int k = 0;
            while (k < request.length && seen.contains(request[k])) {
                k++;
            }
            hits += k;
            seen.addAll(List.of(request));
        }

        ReplayResult bound = InfiniteCacheBound.compute(trace, n -> {});

        assertThat(bound.matchedBlocks()).isEqualTo(hits);
        assertThat(bound.requestedBlocks()).isEqualTo(trace.totalBlocks()).isEqualTo(288_500);
        assertThat(bound.requests()).isEqualTo(12_031);
    }

    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {1_000, 5_859})
    void sequentialLruReplay_conversationTrace_equalsLinkedHashMapLru(int capacity) {
        long expected = lruHits(capacity);

        ReplayResult replay = new SequentialReplay(trace).run(PolicyRegistry.builtIn(), "lru", capacity, 512, n -> {});

        assertThat(replay.matchedBlocks()).isEqualTo(expected);
        assertThat(replay.requestedBlocks()).isEqualTo(trace.totalBlocks());
    }

    @Test
    void beladyBound_conversationTrace_liesBetweenLruAndInfinite() {
        int capacity = 5_859;
        ReplayResult belady = BeladyBound.compute(trace, capacity, n -> {});
        long infinite = InfiniteCacheBound.compute(trace, n -> {}).matchedBlocks();

        assertThat(belady.matchedBlocks()).isGreaterThanOrEqualTo(lruHits(capacity));
        assertThat(belady.matchedBlocks()).isLessThanOrEqualTo(infinite);
    }

    @Test
    void lineageLfuReplay_conversationTraceAtTheMooncakeCapacity_beatsEveryOtherPolicyByTheDocumentedMargin() {
        // docs/policies.md reports 17.51 % for lineage-lfu at 5 859 blocks, 13.61 % for lru, 15.84 % for multi-lru.
        int capacity = 5_859;
        SequentialReplay replay = new SequentialReplay(trace);
        PolicyRegistry policies = PolicyRegistry.builtIn();

        ReplayResult lfu = replay.run(policies, "lineage-lfu", capacity, 512, n -> {});

        assertThat(100.0 * lfu.matchedBlocks() / lfu.requestedBlocks()).isCloseTo(17.51, within(0.005));
        for (String other : policies.names()) {
            if (!other.equals("lineage-lfu")) {
                assertThat(lfu.matchedBlocks())
                        .as("lineage-lfu against %s", other)
                        .isGreaterThan(replay.run(policies, other, capacity, 512, n -> {})
                                .matchedBlocks());
            }
        }
    }

    /**
     * LRU as the replay defines it, from scratch: a request hits its longest cached prefix (those blocks leave the
     * cache while in use), allocates every other block (evicting the least recently released cached blocks when the
     * free slots do not suffice, possibly its own later blocks), its cached blocks after the first miss are taken over
     * by the recomputed ones, and on release every block becomes most recent, tail first.
     */
    private static long lruHits(int capacity) {
        LinkedHashMap<String, Boolean> lru = new LinkedHashMap<>(); // eldest first = least recently released
        long hits = 0;
        for (String[] request : keys) {
            int n = request.length;
            int k = 0;
            while (k < n && lru.containsKey(request[k])) {
                k++;
            }
            for (int i = 0; i < k; i++) {
                lru.remove(request[i]);
            }
            int free = capacity - lru.size() - k;
            int evict = (n - k) - free;
            Iterator<String> eldest = lru.keySet().iterator();
            for (int e = 0; e < evict; e++) {
                eldest.next();
                eldest.remove();
            }
            for (int i = k; i < n; i++) {
                lru.remove(request[i]);
            }
            for (int i = n - 1; i >= 0; i--) {
                lru.put(request[i], Boolean.TRUE);
            }
            hits += k;
        }
        return hits;
    }

    private static final Map<String, String> INTERN = new HashMap<>();

    /** Block i's key names its whole prefix: "id0/id1/.../idi" (interned through the parent's key). */
    private static String[] prefixKeys(TraceRecord record) {
        String[] out = new String[record.blocks()];
        String prefix = "";
        for (int i = 0; i < out.length; i++) {
            String key = prefix + "/" + record.hashId(i);
            prefix = INTERN.computeIfAbsent(key, x -> Integer.toString(INTERN.size()));
            out[i] = prefix;
        }
        return out;
    }
}
