package io.kvbm.manager;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.WeakBlock;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.testing.RecordingSubscriber;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Model-based property test: random sequences of manager operations, driven from the test thread, checked step by
 * step against a small reference model of the pools (toolchain.md §7: seeded parameterized tests, no jqwik).
 *
 * <p>The model keeps, per slot, its state and hash, and per registration its reference count; the reset pool as a
 * FIFO (the order in which blocks were freed); the inactive pool; the active primaries by hash; the FIFO line of
 * waiting allocations; the evict-on-release flags; the registry presence per hash. After every operation the manager
 * must agree with it: slot counts per state, pool and pending sizes, every open handle's use count, the presence of
 * every hash, the counters of {@link BlockManagerStats}, the store audit, and the block ids of everything handed out.
 *
 * <p>Eviction order differs per policy. The model predicts the exact victim for {@code lru()} (released longest ago
 * first) and {@code fifo()} (entered the cache first; a hit keeps the ticket); for {@code lineage()} and
 * {@code lineageFifo()} it checks the policy's invariant instead (a victim has no cached descendant, so cached
 * prefixes are consumed from their tails) and learns the victim; for {@code multiLru()} (driven by a frequency sketch)
 * it checks only that the victim was cached. Where the order is not predicted, the blocks a drain of the inactive pool
 * puts into the reset pool form a group whose internal order is learnt as the blocks are reused.
 *
 * <p>Single-threaded: an idle manager completes every operation during {@code subscribe}, and a waiting allocation is
 * served during the release that frees its blocks, so the model replays each call right after it returned and the
 * manager is quiescent at every check. A failing sequence is shrunk (chunks of operations, then single operations,
 * are dropped while it still fails) and reported as the Java of a regression test; shrunk failures are kept below as
 * named regression tests. Seeds are in the display names; {@code -Dkvbm.model.seeds=N} runs N seeds per policy pair,
 * {@code -Dkvbm.model.seed=S} one given seed.
 */
class BlockManagerModelTest {

    private static final int STEPS = 400;
    private static final int SEEDS = Integer.getInteger("kvbm.model.seeds", 6);
    private static final List<String> POLICIES = List.of("lineage", "lineageFifo", "lru", "fifo", "multiLru");

    static Stream<Arguments> runs() {
        Long fixed = Long.getLong("kvbm.model.seed");
        return POLICIES.stream()
                .flatMap(policy -> Stream.of(DuplicationPolicy.values())
                        .flatMap(dup -> (fixed != null
                                        ? Stream.of(fixed)
                                        : IntStream.range(0, SEEDS)
                                                .mapToObj(i ->
                                                        0x5EED_0000L + 97L * i + policy.hashCode() + dup.ordinal()))
                                .map(seed -> Arguments.of(policy, dup, seed))));
    }

    @ParameterizedTest(name = "{0} × {1}, seed {2}")
    @MethodSource("runs")
    void randomOperations_agreeWithTheModelAfterEveryStep(String policy, DuplicationPolicy dup, long seed) {
        Config config = Config.fromSeed(policy, dup, seed);
        List<Op> ops = generate(seed, STEPS);
        Failure failure = run(config, ops, Variant.REAL);
        if (failure != null) {
            List<Op> shrunk = shrink(config, ops, Variant.REAL);
            Failure minimal = run(config, shrunk, Variant.REAL);
            throw new AssertionError(
                    "seed " + seed + ", " + config + ": step " + failure.step + " (" + failure.op + ") failed: "
                            + failure.error + "\nshrunk to " + shrunk.size() + " operations; as a regression test:\n"
                            + regressionTest(config, shrunk)
                            + (minimal == null ? "" : "\nwhich fails with: " + minimal.error),
                    failure.error);
        }
        Model model = last;
        System.out.printf(
                "model %s, seed %d: %d steps; %d blocks from the reset pool, %d evicted (victims checked), %d"
                        + " waiters served later, %d lookup hits%n",
                config, seed, ops.size(), model.fromReset, model.victims, model.servedWaiting, model.hits);
    }

    // ---------------------------------------------------------------------------------------------------------
    // the shrinker is itself tested against a deliberately wrong model

    @Test
    void shrinker_reducesAFailingSequenceToAFewOperations() {
        // A model that believes LRU evicts the most recently released block: any sequence that evicts one of two
        // cached blocks fails. The shrinker must find such a core among 250 random operations.
        Config config = new Config("lru", DuplicationPolicy.ALLOW, 4, 2);
        Failure failure = null;
        List<Op> ops = null;
        for (long seed = 1; failure == null && seed < 50; seed++) {
            ops = generate(seed, STEPS);
            failure = run(config, ops, Variant.BROKEN_LRU);
        }
        assertThat(failure).as("the broken model fails some sequence").isNotNull();

        List<Op> shrunk = shrink(config, ops, Variant.BROKEN_LRU);

        assertThat(run(config, shrunk, Variant.BROKEN_LRU))
                .as("the shrunk sequence still fails")
                .isNotNull();
        assertThat(run(config, shrunk, Variant.REAL))
                .as("and passes against the real model")
                .isNull();
        assertThat(shrunk.size())
                .as("shrunk from %d operations to %s", ops.size(), shrunk)
                .isLessThanOrEqualTo(12);
    }

    // ---------------------------------------------------------------------------------------------------------
    // named regression tests: shrunk sequences worth keeping

    /**
     * The eviction order of FIFO across a hit: A and B cached, A matched and released again keeps its place in line
     * (FIFO ignores the hit), so the next allocation evicts A, not B; under LRU it would be B.
     */
    @Test
    void regression_fifoHitKeepsTicket_lruHitMovesToTheBack() {
        for (String policy : List.of("fifo", "lru")) {
            Config config = new Config(policy, DuplicationPolicy.ALLOW, 4, 1);
            List<Op> ops = List.of(
                    op(Kind.ALLOCATE, 2, 1, 0), // allocate(2)
                    op(Kind.STAGE, 0, 12, 1), // stage r0
                    op(Kind.STAGE, 0, 13, 1), // stage r1
                    op(Kind.REGISTER_ALL, 1, 0, 0),
                    op(Kind.CLOSE_HANDLE, 0, 0, 0), // r0 cached first
                    op(Kind.CLOSE_HANDLE, 0, 0, 0), // then r1
                    op(Kind.MATCH, 4, 0, 0), // hit on r0
                    op(Kind.CLOSE_HANDLE, 0, 0, 0), // r0 released again
                    op(Kind.ALLOCATE, 3, 1, 0), // allocate(3): 2 from reset, 1 victim
                    op(Kind.CLOSE_MUTABLE, 0, 0, 0));
            assertThat(run(config, ops, Variant.REAL)).as(policy).isNull();
        }
    }

    /**
     * REJECT registration of a hash whose primary is active: the staged slot goes back to the reset pool inside the
     * registration, and a waiting allocation is served from it in the same step.
     */
    @Test
    void regression_rejectDedupFreesTheStagedSlotAndServesAWaiter() {
        Config config = new Config("lru", DuplicationPolicy.REJECT, 4, 2);
        List<Op> ops = List.of(
                op(Kind.ALLOCATE, 2, 1, 0), // allocate(2): blocks 0 and 1
                op(Kind.STAGE, 0, 12, 1), // block 0 staged with r0
                op(Kind.REGISTER, 0, 0, 0), // block 0 is r0's primary; its handle stays open
                op(Kind.STAGE, 0, 12, 1), // block 1 staged with r0 too
                op(Kind.ALLOCATE, 2, 1, 0), // allocate(2): blocks 2 and 3, nothing left
                op(Kind.ALLOCATE, 1, 1, 0), // allocate(1) waits
                op(Kind.REGISTER, 0, 0, 0)); // REJECT: a handle of block 0; block 1 freed and handed to the waiter
        assertThat(run(config, ops, Variant.REAL)).isNull();
    }

    /**
     * Found by this test, shrunk by its shrinker (15 operations): under {@code lineage()} a block whose cached
     * descendant hangs below a block this manager does not hold at all is a leaf, and is evicted. The strict reading of
     * docs/eviction.md ("a cached block from which no other cached block descends") fails here; the index links a
     * block to its parent only through blocks it holds, and the descendant was unreachable by {@code match} anyway
     * (its parent is missing), so no reachable prefix is hollowed. The model checks the guarantee as implemented: no
     * cached descendant through cached blocks.
     */
    @Test
    void regression_lineageEvictsTheAncestorOfAnOrphanedCachedBlock() {
        Config config = new Config("lineage", DuplicationPolicy.REJECT, 7, 0);
        List<Op> ops = List.of(
                op(Kind.ALLOCATE, 46197, 53140, 55565),
                op(Kind.ALLOCATE, 20904, 13695, 36280),
                op(Kind.ALLOCATE, 53494, 52361, 1521),
                op(Kind.STAGE, 42441, 47236, 7816),
                op(Kind.CLOSE_MUTABLE, 61487, 28707, 27487),
                op(Kind.STAGE, 63007, 52888, 64239),
                op(Kind.REGISTER, 13902, 62471, 22191),
                op(Kind.STAGE, 21195, 24308, 43779),
                op(Kind.REGISTER_ALL, 719, 5608, 38599),
                op(Kind.CLOSE_HANDLE, 63061, 64843, 58094),
                op(Kind.CLOSE_HANDLE, 10112, 59209, 34745),
                op(Kind.CLOSE_HANDLE, 6437, 32820, 18608),
                op(Kind.ALLOCATE, 10798, 29863, 49357),
                op(Kind.TRY_ALLOCATE, 28770, 7302, 13079),
                op(Kind.ALLOCATE, 43979, 41431, 46279));

        Failure strict = run(config, ops, Variant.STRICT_LINEAGE);

        assertThat(strict).as("the strict reading is violated").isNotNull();
        assertThat(strict.error())
                .hasMessageContaining("has a cached descendant")
                .hasMessageEndingWith(":absent]");
        assertThat(run(config, ops, Variant.REAL))
                .as("the guarantee as implemented holds")
                .isNull();
    }

    // ---------------------------------------------------------------------------------------------------------
    // operations

    enum Kind {
        ALLOCATE(18),
        TRY_ALLOCATE(4),
        CANCEL_WAITER(3),
        STAGE(16),
        RESET_COMPLETE(2),
        CLOSE_MUTABLE(3),
        CLOSE_COMPLETE(2),
        REGISTER(10),
        REGISTER_ALL(5),
        MATCH(9),
        MATCH_TAKE(3),
        SCAN(4),
        CLOSE_HANDLE(16),
        CLOSE_ALL_MUTABLE(2),
        CLOSE_ALL_HANDLES(3),
        RETAIN(2),
        DOWNGRADE(2),
        UPGRADE(3),
        EVICT_ON_RELEASE(2),
        RESET_INACTIVE(1),
        DOUBLE_CLOSE(1),
        CLOSE_MANAGER(0); // only near the end of a sequence (see generate)

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    /**
     * One operation: a kind and three random parameters, interpreted against the state when it runs (an index into
     * a list of guards is taken modulo its size; an operation without a target does nothing), so that any
     * subsequence of a sequence is itself a valid sequence, which is what shrinking needs.
     */
    record Op(Kind kind, int a, int b, int c) {
        @Override
        public String toString() {
            return "op(Kind." + kind + ", " + a + ", " + b + ", " + c + ")";
        }
    }

    static Op op(Kind kind, int a, int b, int c) {
        return new Op(kind, a, b, c);
    }

    static List<Op> generate(long seed, int steps) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Kind> weighted = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (int i = 0; i < kind.weight; i++) {
                weighted.add(kind);
            }
        }
        List<Op> ops = new ArrayList<>(steps);
        for (int i = 0; i < steps; i++) {
            Kind kind = weighted.get(random.nextInt(weighted.size()));
            if (i > steps * 9 / 10 && random.nextInt(40) == 0) {
                kind = Kind.CLOSE_MANAGER;
            }
            ops.add(new Op(kind, random.nextInt(1 << 16), random.nextInt(1 << 16), random.nextInt(1 << 16)));
        }
        return ops;
    }

    /** A manager configuration: policy, duplication, block count, pending limit. */
    record Config(String policy, DuplicationPolicy dup, int blocks, int maxPending) {
        static Config fromSeed(String policy, DuplicationPolicy dup, long seed) {
            SplittableRandom random = new SplittableRandom(~seed);
            return new Config(policy, dup, 3 + random.nextInt(6), Math.max(0, random.nextInt(5) - 1));
        }

        EvictionPolicy eviction() {
            switch (policy) {
                case "lineage":
                    return EvictionPolicy.lineage();
                case "lineageFifo":
                    return EvictionPolicy.lineageFifo();
                case "lru":
                    return EvictionPolicy.lru();
                case "fifo":
                    return EvictionPolicy.fifo();
                case "multiLru":
                    return EvictionPolicy.multiLru();
                default:
                    throw new IllegalArgumentException(policy);
            }
        }

        @Override
        public String toString() {
            return policy + " × " + dup + ", " + blocks + " blocks, maxPending " + maxPending;
        }
    }

    static String regressionTest(Config config, List<Op> ops) {
        return "Config config = new Config(\"" + config.policy + "\", DuplicationPolicy." + config.dup + ", "
                + config.blocks + ", " + config.maxPending + ");\nList<Op> ops = List.of(\n        "
                + ops.stream().map(Op::toString).collect(Collectors.joining(",\n        "))
                + ");\nassertThat(run(config, ops, Variant.REAL)).isNull();";
    }

    // ---------------------------------------------------------------------------------------------------------
    // running and shrinking

    /** Which model to check against: the real one, or a deliberately different one (tests of the harness). */
    enum Variant {
        REAL,
        /** Believes LRU evicts the most recently released block: wrong, for the shrinker's self-test. */
        BROKEN_LRU,
        /** Demands that a lineage victim have no cached descendant through any blocks, even absent ones. */
        STRICT_LINEAGE
    }

    /** Where a run failed. */
    record Failure(int step, @Nullable Op op, Throwable error) {}

    /** The model of the last run that passed (single-threaded test execution), for the report line. */
    private static @Nullable Model last;

    /** Runs {@code ops} on a fresh manager; returns the first failure, or null if every check passed. */
    static @Nullable Failure run(Config config, List<Op> ops, Variant variant) {
        BlockManager m = TestManagers.create(
                config.blocks,
                b -> b.duplicationPolicy(config.dup)
                        .eviction(config.eviction())
                        .maxPendingAllocations(config.maxPending));
        Driver driver = new Driver(m, config, variant);
        int step = 0;
        try {
            driver.verify("start");
            for (; step < ops.size(); step++) {
                driver.step(ops.get(step));
                driver.verify("after step " + step + " " + ops.get(step));
            }
            driver.closeEverything();
            driver.verify("after closing everything");
            last = driver.model;
            return null;
        } catch (Throwable t) {
            return new Failure(step, step < ops.size() ? ops.get(step) : null, t);
        } finally {
            driver.cleanUp();
        }
    }

    /** Drops chunks, then single operations, while the sequence still fails; cuts everything after the failure. */
    static List<Op> shrink(Config config, List<Op> ops, Variant variant) {
        Failure failure = run(config, ops, variant);
        if (failure == null) {
            return ops;
        }
        List<Op> current = new ArrayList<>(ops.subList(0, Math.min(ops.size(), failure.step + 1)));
        for (int chunk = Math.max(1, current.size() / 2); chunk >= 1; ) {
            boolean removed = false;
            for (int i = 0; i + chunk <= current.size(); ) {
                List<Op> candidate = new ArrayList<>(current.subList(0, i));
                candidate.addAll(current.subList(i + chunk, current.size()));
                if (run(config, candidate, variant) != null) {
                    current = candidate;
                    removed = true;
                } else {
                    i += chunk;
                }
            }
            if (!removed) {
                chunk /= 2;
            }
        }
        return current;
    }

    // ---------------------------------------------------------------------------------------------------------
    // the hashes

    /** A small prefix forest: a trunk of 5 blocks, two branches off it, an unrelated chain of 3 and 3 roots. */
    static final class Universe {
        static final Universe INSTANCE = new Universe();

        final List<SequenceHash> hashes = new ArrayList<>();
        final Map<SequenceHash, SequenceHash> parent = new HashMap<>();
        final Map<SequenceHash, TokenBlock> tokens = new HashMap<>();
        final List<List<SequenceHash>> chains = new ArrayList<>();

        private Universe() {
            int bs = TestManagers.BLOCK_SIZE;
            int[] trunk = TestTokens.range(0, 5 * bs);
            addSequence(trunk);
            addSequence(concat(Arrays.copyOf(trunk, 2 * bs), TestTokens.range(1000, 2 * bs)));
            addSequence(concat(Arrays.copyOf(trunk, 3 * bs), TestTokens.range(2000, 2 * bs)));
            addSequence(TestTokens.range(5000, 3 * bs));
            for (SequenceHash root : TestTokens.roots(77, 3)) {
                hashes.add(root);
                chains.add(List.of(root));
            }
        }

        private void addSequence(int[] tokenIds) {
            TokenBlockSequence sequence = TokenBlockSequence.of(tokenIds, TestManagers.BLOCK_SIZE, TestTokens.SALT);
            List<SequenceHash> chain = sequence.sequenceHashes();
            chains.add(chain);
            for (int i = 0; i < chain.size(); i++) {
                SequenceHash h = chain.get(i);
                if (!tokens.containsKey(h)) {
                    hashes.add(h);
                    tokens.put(h, sequence.blocks().get(i));
                }
                if (i > 0) {
                    parent.put(h, chain.get(i - 1));
                }
            }
        }

        private static int[] concat(int[] a, int[] b) {
            int[] c = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        }

        /**
         * Whether {@code ancestor} is an ancestor of {@code of} through blocks that are all in {@code cached} (through
         * any blocks if {@code cached} is null).
         */
        boolean isCachedAncestor(SequenceHash ancestor, SequenceHash of, @Nullable Set<SequenceHash> cached) {
            for (SequenceHash p = parent.get(of); p != null; p = parent.get(p)) {
                if (p.equals(ancestor)) {
                    return true;
                }
                if (cached != null && !cached.contains(p)) {
                    return false;
                }
            }
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the reference model

    /** One registration: what handles of a block share (kvbm's active entry). */
    static final class Entry {
        final int id;
        final SequenceHash hash;
        final @Nullable Entry primary;
        int refs = 1;

        Entry(int id, SequenceHash hash, @Nullable Entry primary) {
            this.id = id;
            this.hash = hash;
            this.primary = primary;
        }

        @Override
        public String toString() {
            return "Entry[" + id + ", refs " + refs + (primary == null ? "" : ", duplicate") + "]";
        }
    }

    static final int RESET = 0;
    static final int MUTABLE = 1;
    static final int STAGED = 2;
    static final int PRIMARY = 3;
    static final int DUPLICATE = 4;
    static final int INACTIVE = 5;

    /** The pools as the model believes they are. Drain-loop operations end with {@link #serveAndDrain()}. */
    static final class Model {
        final Config config;
        final Universe u = Universe.INSTANCE;
        final Variant variant;
        final int[] state;
        final SequenceHash[] hash;
        final boolean[] evictOnRelease;
        final Entry[] entry;
        /** The reset pool: groups in FIFO order; the order inside a group (a drain of the cache) is unknown. */
        final ArrayDeque<LinkedHashSet<Integer>> reset = new ArrayDeque<>();
        /** The inactive pool in insertion order (LRU order). */
        final LinkedHashSet<Integer> inactive = new LinkedHashSet<>();

        final Map<SequenceHash, Integer> inactiveByHash = new HashMap<>();
        /** FIFO tickets per block id, kept across a hit for the same hash. */
        final long[] ticket;

        final SequenceHash[] remembered;
        long nextTicket;
        final Map<SequenceHash, Entry> primaryOf = new HashMap<>();
        final Map<SequenceHash, Integer> presence = new HashMap<>();
        final ArrayDeque<Waiter> pending = new ArrayDeque<>();
        final ArrayDeque<Runnable> deferred = new ArrayDeque<>();
        boolean closed;
        /** What the run exercised, for the report line. */
        int victims;
        /** The manager's counters as the model expects them ({@link BlockManagerStats}). */
        long allocations;

        long allocationsFromReset;
        long evictions;
        long registrations;
        long duplicates;
        long dedups;
        long stagings;
        long matchHashes;
        long matchHits;
        long scanHashes;
        long scanHits;

        int fromReset;
        int servedWaiting;
        int hits;
        /** Called when the model serves a waiting allocation: the driver compares what the manager delivered. */
        java.util.function.Consumer<Waiter> onServed = w -> {};

        Model(Config config, Variant variant) {
            this.config = config;
            this.variant = variant;
            int n = config.blocks;
            state = new int[n];
            hash = new SequenceHash[n];
            evictOnRelease = new boolean[n];
            entry = new Entry[n];
            ticket = new long[n];
            remembered = new SequenceHash[n];
            for (int id = 0; id < n; id++) {
                appendReset(id);
            }
        }

        int[] counts() {
            int[] c = new int[6];
            for (int s : state) {
                c[s]++;
            }
            return c;
        }

        int resetSize() {
            int size = 0;
            for (Set<Integer> group : reset) {
                size += group.size();
            }
            return size;
        }

        int available() {
            return resetSize() + inactive.size();
        }

        void appendReset(int id) {
            state[id] = RESET;
            hash[id] = null;
            LinkedHashSet<Integer> group = new LinkedHashSet<>();
            group.add(id);
            reset.addLast(group);
        }

        private void takeReset(int id) {
            LinkedHashSet<Integer> head = reset.peekFirst();
            check(
                    head != null && head.contains(id),
                    "block %d taken from the reset pool, expected %s (reset pool %s)",
                    id,
                    head,
                    reset);
            head.remove(id);
            if (head.isEmpty()) {
                reset.pollFirst();
            }
        }

        private void insertInactive(int id) {
            state[id] = INACTIVE;
            inactive.add(id);
            inactiveByHash.put(hash[id], id);
            if (!hash[id].equals(remembered[id])) {
                ticket[id] = nextTicket++;
                remembered[id] = hash[id];
            }
        }

        private void removeInactive(int id, boolean hit) {
            inactive.remove(id);
            inactiveByHash.remove(hash[id]);
            if (!hit) {
                remembered[id] = null;
            }
        }

        private void addPresence(SequenceHash h) {
            presence.merge(h, 1, Integer::sum);
        }

        private void dropPresence(SequenceHash h) {
            presence.merge(h, -1, (a, b) -> a + b == 0 ? null : a + b);
        }

        boolean isPresent(SequenceHash h) {
            return presence.containsKey(h);
        }

        /** Checks that {@code id} may be evicted now, per policy. */
        private void checkVictim(int id) {
            check(inactive.contains(id), "victim %d is not cached (inactive %s)", id, inactive);
            switch (config.policy) {
                case "lru": {
                    int expected = variant == Variant.BROKEN_LRU
                            ? last(inactive)
                            : inactive.iterator().next();
                    check(
                            id == expected,
                            "LRU victim %d, expected %d (inactive, oldest first: %s)",
                            id,
                            expected,
                            inactive);
                    break;
                }
                case "fifo": {
                    int expected = inactive.stream()
                            .min((x, y) -> Long.compare(ticket[x], ticket[y]))
                            .orElseThrow();
                    check(id == expected, "FIFO victim %d, expected %d (tickets %s)", id, expected, tickets());
                    break;
                }
                case "lineage":
                case "lineageFifo":
                    // The index links a block to its parent only through blocks it holds (cached) or held when
                    // the child arrived, so the guarantee is: no cached descendant through cached blocks. Through an
                    // absent block the descendant is unreachable by match anyway; through a held block see
                    // docs/eviction.md, "Release tail first".
                    for (int other : inactive) {
                        check(
                                variant == Variant.STRICT_LINEAGE
                                        ? !u.isCachedAncestor(hash[id], hash[other], null)
                                        : !u.isCachedAncestor(hash[id], hash[other], inactiveByHash.keySet()),
                                "lineage victim %d (%s) has a cached descendant: block %d (%s); between them: %s",
                                id,
                                hash[id],
                                other,
                                hash[other],
                                between(hash[id], hash[other]));
                    }
                    break;
                default: // multiLru: frequency-driven; only contents are checked
            }
        }

        /** The states of the blocks between an ancestor and a descendant: cached, active or absent. */
        private List<String> between(SequenceHash ancestor, SequenceHash descendant) {
            List<String> states = new ArrayList<>();
            for (SequenceHash p = u.parent.get(descendant); p != null && !p.equals(ancestor); p = u.parent.get(p)) {
                states.add(p.position() + ":"
                        + (inactiveByHash.containsKey(p) ? "cached" : primaryOf.containsKey(p) ? "active" : "absent"));
            }
            return states;
        }

        private Map<Integer, Long> tickets() {
            Map<Integer, Long> t = new LinkedHashMap<>();
            inactive.forEach(id -> t.put(id, ticket[id]));
            return t;
        }

        private static int last(Set<Integer> set) {
            int last = -1;
            for (int id : set) {
                last = id;
            }
            return last;
        }

        /** An allocation of {@code n} served with {@code ids} (reset blocks first, then victims in eviction order). */
        void deliver(int n, List<Integer> ids, @Nullable List<SequenceHash> evicted) {
            check(available() >= n, "served %d blocks with only %d available", n, available());
            check(ids.size() == n, "served %s for an allocation of %d", ids, n);
            check(new LinkedHashSet<>(ids).size() == n, "the same block twice in %s", ids);
            int fromReset = Math.min(n, resetSize());
            List<SequenceHash> victims = new ArrayList<>();
            for (int i = 0; i < fromReset; i++) {
                takeReset(ids.get(i));
            }
            this.fromReset += fromReset;
            this.victims += n - fromReset;
            allocations += n;
            allocationsFromReset += fromReset;
            evictions += n - fromReset;
            for (int i = fromReset; i < n; i++) {
                int id = ids.get(i);
                checkVictim(id);
                victims.add(hash[id]);
                removeInactive(id, false);
                dropPresence(hash[id]);
            }
            for (int id : ids) {
                state[id] = MUTABLE;
                hash[id] = null;
                evictOnRelease[id] = false;
            }
            if (evicted != null) {
                check(evicted.equals(victims), "reported evictions %s, expected %s", evicted, victims);
            }
        }

        /** The primary of {@code h} with one more reference, brought back from the cache if needed; or null. */
        @Nullable
        Entry acquire(SequenceHash h) {
            Entry active = primaryOf.get(h);
            if (active != null) {
                active.refs++;
                hits++;
                return active;
            }
            Integer id = inactiveByHash.get(h);
            if (id == null) {
                return null;
            }
            hits++;
            removeInactive(id, true);
            state[id] = PRIMARY;
            Entry e = new Entry(id, h, null);
            entry[id] = e;
            primaryOf.put(h, e);
            return e;
        }

        Entry register(int id, SequenceHash h) {
            check(state[id] == STAGED, "register of block %d in state %d", id, state[id]);
            registrations++;
            Entry existing = acquire(h);
            if (existing != null) {
                if (config.dup == DuplicationPolicy.REJECT) {
                    dedups++;
                    appendReset(id);
                    return existing;
                }
                duplicates++;
                state[id] = DUPLICATE;
                addPresence(h);
                Entry duplicate = new Entry(id, h, existing);
                entry[id] = duplicate;
                return duplicate;
            }
            state[id] = PRIMARY;
            addPresence(h);
            Entry primary = new Entry(id, h, null);
            entry[id] = primary;
            primaryOf.put(h, primary);
            return primary;
        }

        void release(Entry e) {
            e.refs--;
            check(e.refs >= 0, "%s released more often than held", e);
            if (e.refs == 0) {
                lastRelease(e);
            }
        }

        private void lastRelease(Entry e) {
            int id = e.id;
            check(entry[id] == e, "last release of %s found %s", e, entry[id]);
            entry[id] = null;
            if (e.primary == null) {
                primaryOf.remove(e.hash);
                if (evictOnRelease[id] || closed) {
                    remembered[id] = null; // forgotten: it left the cache for good
                    dropPresence(e.hash);
                    appendReset(id);
                } else {
                    insertInactive(id);
                }
            } else {
                dropPresence(e.hash);
                appendReset(id);
                release(e.primary);
            }
        }

        /** A handle's close: a reference that is not the last is dropped at once, the last one in the loop. */
        void closeHandle(Entry e, boolean insideLoop) {
            if (e.refs > 1) {
                e.refs--;
            } else if (insideLoop) {
                deferred.add(() -> release(e));
            } else {
                loop(() -> release(e));
            }
        }

        /** Drops every cached block into the reset pool, in eviction order where the policy's order is modelled. */
        int resetInactive() {
            List<Integer> order = new ArrayList<>(inactive);
            boolean ordered = config.policy.equals("lru") || config.policy.equals("fifo");
            if (config.policy.equals("fifo")) {
                order.sort((x, y) -> Long.compare(ticket[x], ticket[y]));
            }
            LinkedHashSet<Integer> group = new LinkedHashSet<>();
            for (int id : order) {
                removeInactive(id, false);
                dropPresence(hash[id]);
                state[id] = RESET;
                hash[id] = null;
                if (ordered) {
                    appendReset(id); // a group of one: the order is known
                } else {
                    group.add(id);
                }
            }
            if (!group.isEmpty()) {
                reset.addLast(group);
            }
            return order.size();
        }

        /** Runs one drain-loop operation: the operation, then waiters served, then what it queued, in order. */
        void loop(Runnable op) {
            op.run();
            serveAndDrain();
        }

        void serveAndDrain() {
            servePending();
            Runnable next;
            while ((next = deferred.pollFirst()) != null) {
                next.run();
                servePending();
            }
        }

        private void servePending() {
            Waiter head;
            while ((head = pending.peekFirst()) != null && available() >= head.n) {
                pending.pollFirst();
                servedWaiting++;
                onServed.accept(head);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the driver: real calls, then the model's replay

    /** An allocation subscription (possibly waiting). */
    static final class Waiter {
        final int variant;
        final int n;
        final RecordingSubscriber<Object> sub = RecordingSubscriber.requesting();
        final AtomicReference<@Nullable List<Integer>> scopedIds = new AtomicReference<>();

        Waiter(int variant, int n) {
            this.variant = variant;
            this.n = n;
        }

        @Override
        public String toString() {
            return "Waiter[variant " + variant + ", n " + n + ", " + sub + "]";
        }
    }

    static final int SINGLE = 0;
    static final int LIST = 1;
    static final int TIMED = 2;
    static final int WITH_EVICTIONS = 3;
    static final int SCOPED = 4;
    static final int TRY = 5;

    record Handle(ImmutableBlock guard, Entry entry) {}

    record Weak(WeakBlock guard, Entry entry) {}

    static final class Driver {
        final BlockManager m;
        final Model model;
        final Universe u = Universe.INSTANCE;
        final List<MutableBlock> mutables = new ArrayList<>();
        final List<CompleteBlock> completes = new ArrayList<>();
        final List<Handle> handles = new ArrayList<>();
        final List<Weak> weaks = new ArrayList<>();
        final List<Waiter> waiters = new ArrayList<>();
        final List<AutoCloseable> closed = new ArrayList<>();

        Driver(BlockManager m, Config config, Variant variant) {
            this.m = m;
            this.model = new Model(config, variant);
            model.onServed = this::served;
        }

        /** Removes 1 to 3 guards from {@code from} (at least one, at most all), chosen by the op's parameters. */
        static <T> List<T> takeBatch(List<T> from, Op op) {
            int k = Math.min(from.size(), 1 + Math.floorMod(op.a, 3));
            List<T> batch = new ArrayList<>(k);
            for (int i = 0; i < k; i++) {
                batch.add(from.remove(Math.floorMod(op.b + i, from.size())));
            }
            return batch;
        }

        void step(Op op) {
            switch (op.kind) {
                case ALLOCATE: {
                    int variant = Math.floorMod(op.b, 5);
                    allocate(variant, variant == SINGLE ? 1 : Math.floorMod(op.a, 4));
                    break;
                }
                case TRY_ALLOCATE:
                    allocate(TRY, Math.floorMod(op.a, 4));
                    break;
                case CANCEL_WAITER:
                    if (!waiters.isEmpty()) {
                        Waiter w = waiters.remove(Math.floorMod(op.a, waiters.size()));
                        w.sub.cancel();
                        model.loop(() -> check(model.pending.remove(w), "cancelled %s was not waiting", w));
                        check(w.sub.values().isEmpty(), "a cancelled waiter received %s", w.sub.values());
                    }
                    break;
                case STAGE:
                    stage(op);
                    break;
                case RESET_COMPLETE:
                    if (!completes.isEmpty()) {
                        CompleteBlock c = completes.remove(Math.floorMod(op.a, completes.size()));
                        MutableBlock back = c.reset();
                        check(back.blockId() == c.blockId(), "reset of %s gave %s", c, back);
                        model.loop(() -> {
                            model.state[c.blockId()] = MUTABLE;
                            model.hash[c.blockId()] = null;
                            model.evictOnRelease[c.blockId()] = false;
                        });
                        mutables.add(back);
                        closed.add(c);
                    }
                    break;
                case CLOSE_MUTABLE:
                    if (!mutables.isEmpty()) {
                        MutableBlock b = mutables.remove(Math.floorMod(op.a, mutables.size()));
                        b.close();
                        model.loop(() -> model.appendReset(b.blockId()));
                        closed.add(b);
                    }
                    break;
                case CLOSE_COMPLETE:
                    if (!completes.isEmpty()) {
                        CompleteBlock c = completes.remove(Math.floorMod(op.a, completes.size()));
                        c.close();
                        model.loop(() -> model.appendReset(c.blockId()));
                        closed.add(c);
                    }
                    break;
                case REGISTER:
                    if (!completes.isEmpty()) {
                        register(List.of(completes.get(Math.floorMod(op.a, completes.size()))), false);
                    }
                    break;
                case REGISTER_ALL:
                    if (!completes.isEmpty()) {
                        int k = Math.min(completes.size(), 1 + Math.floorMod(op.a, 3));
                        List<CompleteBlock> batch = new ArrayList<>();
                        List<CompleteBlock> candidates = new ArrayList<>(completes);
                        for (int i = 0; i < k; i++) {
                            batch.add(candidates.remove(Math.floorMod(op.b + i, candidates.size())));
                        }
                        register(batch, true);
                    }
                    break;
                case MATCH:
                case MATCH_TAKE:
                    match(op);
                    break;
                case SCAN:
                    scan(op);
                    break;
                case CLOSE_HANDLE:
                    if (!handles.isEmpty()) {
                        Handle h = handles.remove(Math.floorMod(op.a, handles.size()));
                        h.guard.close();
                        model.closeHandle(h.entry, false);
                        closed.add(h.guard);
                    }
                    break;
                case CLOSE_ALL_MUTABLE:
                    if (!mutables.isEmpty()) {
                        // closeAllMutable = close() of each in order, released in one loop step; a block listed
                        // twice is closed once
                        List<MutableBlock> batch = takeBatch(mutables, op);
                        List<MutableBlock> call = new ArrayList<>(batch);
                        if (Math.floorMod(op.c, 4) == 0) {
                            call.add(batch.get(0));
                        }
                        m.closeAllMutable(call);
                        model.loop(() -> batch.forEach(b -> model.appendReset(b.blockId())));
                        closed.addAll(batch);
                    }
                    break;
                case CLOSE_ALL_HANDLES:
                    if (!handles.isEmpty()) {
                        // closeAll: references that are not the last drop at once, the last ones are released
                        // together in one loop step before any waiter is served
                        List<Handle> batch = takeBatch(handles, op);
                        List<ImmutableBlock> call = new ArrayList<>();
                        batch.forEach(h -> call.add(h.guard));
                        if (Math.floorMod(op.c, 4) == 0) {
                            call.add(batch.get(0).guard);
                        }
                        m.closeAll(call);
                        model.loop(() -> {
                            for (Handle h : batch) {
                                if (h.entry.refs > 1) {
                                    h.entry.refs--;
                                } else {
                                    model.release(h.entry);
                                }
                            }
                        });
                        batch.forEach(h -> closed.add(h.guard));
                    }
                    break;
                case RETAIN:
                    if (!handles.isEmpty()) {
                        Handle h = handles.get(Math.floorMod(op.a, handles.size()));
                        ImmutableBlock copy = h.guard.retain();
                        h.entry.refs++;
                        handles.add(new Handle(copy, h.entry));
                    }
                    break;
                case DOWNGRADE:
                    if (!handles.isEmpty()) {
                        Handle h = handles.get(Math.floorMod(op.a, handles.size()));
                        weaks.add(new Weak(h.guard.downgrade(), h.entry));
                        if (weaks.size() > 6) {
                            weaks.remove(0);
                        }
                    }
                    break;
                case UPGRADE:
                    if (!weaks.isEmpty()) {
                        upgrade(weaks.get(Math.floorMod(op.a, weaks.size())));
                    }
                    break;
                case EVICT_ON_RELEASE:
                    if (!handles.isEmpty()) {
                        Handle h = handles.get(Math.floorMod(op.a, handles.size()));
                        boolean evict = Math.floorMod(op.b, 3) == 0;
                        h.guard.evictOnRelease(evict);
                        model.loop(() -> {
                            int id = h.entry.id;
                            if (model.state[id] == PRIMARY || model.state[id] == DUPLICATE) {
                                model.evictOnRelease[id] = evict;
                            }
                        });
                    }
                    break;
                case RESET_INACTIVE: {
                    RecordingSubscriber<Integer> sub = subscribe(m.resetInactive());
                    int[] dropped = new int[1];
                    model.loop(() -> dropped[0] = model.resetInactive());
                    check(
                            sub.values().equals(List.of(dropped[0])),
                            "resetInactive emitted %s, expected %d",
                            sub,
                            dropped[0]);
                    break;
                }
                case DOUBLE_CLOSE:
                    if (!closed.isEmpty()) {
                        try {
                            closed.get(Math.floorMod(op.a, closed.size())).close(); // a no-op
                        } catch (Exception e) {
                            throw new AssertionError("a second close threw", e);
                        }
                    }
                    break;
                case CLOSE_MANAGER:
                    closeManager();
                    break;
                default:
                    throw new IllegalStateException(op.toString());
            }
            if (closed.size() > 32) {
                closed.remove(0);
            }
        }

        private void allocate(int variant, int n) {
            Waiter w = new Waiter(variant, n);
            Mono<?> mono;
            switch (variant) {
                case SINGLE:
                    mono = m.allocate();
                    break;
                case LIST:
                    mono = m.allocate(n);
                    break;
                case TIMED:
                    mono = m.allocate(n, Duration.ofHours(1)); // waits like allocate(n); the timer is cancelled
                    break;
                case WITH_EVICTIONS:
                    mono = m.allocateWithEvictions(n);
                    break;
                case SCOPED:
                    mono = m.withBlocks(n, blocks -> {
                        w.scopedIds.set(
                                blocks.stream().map(MutableBlock::blockId).toList());
                        return Mono.just(blocks.size());
                    });
                    break;
                default:
                    mono = m.tryAllocate(n);
            }
            mono.subscribe(w.sub);
            model.loop(() -> {
                if (model.closed) {
                    expectError(w.sub, ManagerClosedException.class);
                } else if (n == 0 || (model.pending.isEmpty() && model.available() >= n)) {
                    served(w);
                } else if (variant == TRY) {
                    check(w.sub.isCompleted() && w.sub.values().isEmpty(), "tryAllocate(%d): %s", n, w.sub);
                } else if (model.pending.size() >= model.config.maxPending) {
                    expectError(w.sub, AllocationPendingLimitException.class);
                } else {
                    check(!w.sub.isTerminated() && w.sub.values().isEmpty(), "waiting %s was signalled", w);
                    model.pending.addLast(w);
                    waiters.add(w);
                }
            });
        }

        /** The model serves {@code w}: compare with what the manager delivered to it and take the guards. */
        private void served(Waiter w) {
            waiters.remove(w);
            check(w.sub.isCompleted() && w.sub.values().size() == 1, "%s was not served", w);
            Object value = w.sub.values().get(0);
            List<Integer> ids;
            List<SequenceHash> evicted = null;
            List<MutableBlock> blocks = List.of();
            switch (w.variant) {
                case SINGLE:
                    blocks = List.of((MutableBlock) value);
                    break;
                case WITH_EVICTIONS:
                    blocks = ((Allocation) value).blocks();
                    evicted = ((Allocation) value).evicted();
                    break;
                case SCOPED:
                    check(value.equals(w.n), "withBlocks(%d) emitted %s", w.n, value);
                    break;
                default:
                    @SuppressWarnings("unchecked")
                    List<MutableBlock> list = (List<MutableBlock>) value;
                    blocks = list;
            }
            if (w.variant == SCOPED) {
                ids = w.scopedIds.get();
                check(ids != null, "withBlocks body did not run");
                // usingWhen closes the blocks as the body completes, with one closeAllMutable: one loop step queued
                // behind this operation releases them all before any waiter is served
                List<Integer> released = ids;
                model.deferred.add(() -> released.forEach(model::appendReset));
            } else {
                ids = blocks.stream().map(MutableBlock::blockId).toList();
                mutables.addAll(blocks);
            }
            model.deliver(w.n, ids, evicted);
        }

        private void stage(Op op) {
            if (mutables.isEmpty()) {
                return;
            }
            MutableBlock b = mutables.remove(Math.floorMod(op.a, mutables.size()));
            SequenceHash h = u.hashes.get(Math.floorMod(op.b, u.hashes.size()));
            TokenBlock tokens = u.tokens.get(h);
            CompleteBlock c = Math.floorMod(op.c, 3) == 0 && tokens != null
                    ? b.complete(tokens)
                    : b.stage(h, TestManagers.BLOCK_SIZE);
            check(c.blockId() == b.blockId() && c.sequenceHash().equals(h), "staged %s as %s", b, c);
            model.loop(() -> {
                check(model.state[b.blockId()] == MUTABLE, "stage of block %d", b.blockId());
                model.state[b.blockId()] = STAGED;
                model.hash[b.blockId()] = h;
                model.stagings++;
            });
            completes.add(c);
            closed.add(b);
        }

        private void register(List<CompleteBlock> batch, boolean all) {
            Mono<?> registration = all ? m.registerAll(batch) : m.register(batch.get(0));
            RecordingSubscriber<Object> sub = RecordingSubscriber.requesting();
            registration.subscribe(sub);
            if (model.closed) {
                expectError(sub, ManagerClosedException.class);
                return; // not consumed: the blocks stay the caller's
            }
            completes.removeAll(batch);
            @SuppressWarnings("unchecked")
            List<ImmutableBlock> got = all
                    ? (List<ImmutableBlock>) sub.values().get(0)
                    : List.of((ImmutableBlock) sub.values().get(0));
            check(got.size() == batch.size(), "registered %s for %s", got, batch);
            model.loop(() -> {
                for (int i = 0; i < batch.size(); i++) {
                    CompleteBlock c = batch.get(i);
                    Entry e = model.register(c.blockId(), c.sequenceHash());
                    ImmutableBlock handle = got.get(i);
                    check(
                            handle.blockId() == e.id && handle.sequenceHash().equals(c.sequenceHash()),
                            "register of block %d (%s) returned %s, expected block %d",
                            c.blockId(),
                            c.sequenceHash(),
                            handle,
                            e.id);
                    handles.add(new Handle(handle, e));
                }
            });
            batch.forEach(closed::add);
        }

        private void match(Op op) {
            List<SequenceHash> chain = u.chains.get(Math.floorMod(op.a, u.chains.size()));
            List<SequenceHash> prefix = chain.subList(0, 1 + Math.floorMod(op.b, chain.size()));
            int take = op.kind == Kind.MATCH_TAKE ? 1 + Math.floorMod(op.c, prefix.size()) : Integer.MAX_VALUE;
            Flux<ImmutableBlock> flux = m.match(prefix);
            if (take != Integer.MAX_VALUE) {
                flux = flux.take(take);
            }
            RecordingSubscriber<ImmutableBlock> sub = subscribe(flux);
            if (model.closed) {
                expectError(sub, ManagerClosedException.class);
                return;
            }
            List<ImmutableBlock> got = sub.values();
            model.loop(() -> {
                List<Entry> hits = new ArrayList<>();
                for (SequenceHash h : prefix) {
                    Entry e = model.acquire(h);
                    if (e == null) {
                        break;
                    }
                    hits.add(e);
                }
                model.matchHashes += prefix.size();
                model.matchHits += hits.size();
                int emitted = Math.min(take, hits.size());
                check(got.size() == emitted, "match of %d hashes emitted %s, expected %s", prefix.size(), got, hits);
                for (int i = 0; i < emitted; i++) {
                    check(got.get(i).blockId() == hits.get(i).id, "match hit %d is %s, expected %s", i, got, hits);
                    handles.add(new Handle(got.get(i), hits.get(i)));
                }
                for (int i = emitted; i < hits.size(); i++) {
                    model.closeHandle(hits.get(i), true); // not emitted: closed by the library
                }
            });
        }

        private void scan(Op op) {
            List<SequenceHash> hashes = new ArrayList<>();
            for (int i = 0, k = 1 + Math.floorMod(op.a, 5); i < k; i++) {
                hashes.add(u.hashes.get(Math.floorMod(op.b + i * (op.c | 1), u.hashes.size())));
            }
            RecordingSubscriber<Map<SequenceHash, ImmutableBlock>> sub =
                    subscribe(m.scan(hashes, Math.floorMod(op.c, 2) == 0));
            if (model.closed) {
                expectError(sub, ManagerClosedException.class);
                return;
            }
            Map<SequenceHash, ImmutableBlock> got = sub.values().get(0);
            model.loop(() -> {
                Map<SequenceHash, Entry> hits = new LinkedHashMap<>();
                for (SequenceHash h : hashes) {
                    if (!hits.containsKey(h)) {
                        Entry e = model.acquire(h);
                        if (e != null) {
                            hits.put(h, e);
                        }
                    }
                }
                model.scanHashes += hashes.size();
                model.scanHits += hits.size();
                check(
                        new ArrayList<>(got.keySet()).equals(new ArrayList<>(hits.keySet())),
                        "scan hits %s, expected %s",
                        got.keySet(),
                        hits.keySet());
                for (Map.Entry<SequenceHash, Entry> hit : hits.entrySet()) {
                    ImmutableBlock handle = got.get(hit.getKey());
                    check(handle.blockId() == hit.getValue().id, "scan hit %s, expected %s", handle, hit.getValue());
                    handles.add(new Handle(handle, hit.getValue()));
                }
            });
        }

        private void upgrade(Weak w) {
            RecordingSubscriber<ImmutableBlock> sub = subscribe(w.guard.upgrade());
            if (model.closed) {
                expectError(sub, ManagerClosedException.class);
                return;
            }
            model.loop(() -> {
                Entry e;
                if (model.entry[w.entry.id] == w.entry) {
                    w.entry.refs++;
                    e = w.entry;
                } else {
                    e = model.acquire(w.entry.hash);
                }
                check(sub.isCompleted(), "upgrade did not complete: %s", sub);
                if (e == null) {
                    check(sub.values().isEmpty(), "upgrade of a forgotten block returned %s", sub.values());
                } else {
                    check(
                            sub.values().size() == 1 && sub.values().get(0).blockId() == e.id,
                            "upgrade returned %s, expected block %d",
                            sub.values(),
                            e.id);
                    handles.add(new Handle(sub.values().get(0), e));
                }
            });
        }

        private void closeManager() {
            RecordingSubscriber<Void> sub = subscribe(m.close());
            check(sub.isCompleted(), "close did not complete: %s", sub);
            model.loop(() -> {
                model.closed = true;
                for (Waiter w : model.pending) {
                    expectError(w.sub, ManagerClosedException.class);
                    waiters.remove(w);
                }
                model.pending.clear();
                model.resetInactive();
            });
        }

        /** Cancels every waiter and closes every guard, replaying each on the model. */
        void closeEverything() {
            for (Waiter w : new ArrayList<>(waiters)) {
                waiters.remove(w);
                w.sub.cancel();
                model.loop(() -> model.pending.remove(w));
            }
            while (!handles.isEmpty()) {
                Handle h = handles.remove(handles.size() - 1);
                h.guard.close();
                model.closeHandle(h.entry, false);
            }
            while (!completes.isEmpty()) {
                CompleteBlock c = completes.remove(0);
                c.close();
                model.loop(() -> model.appendReset(c.blockId()));
            }
            while (!mutables.isEmpty()) {
                MutableBlock b = mutables.remove(0);
                b.close();
                model.loop(() -> model.appendReset(b.blockId()));
            }
            int[] c = model.counts();
            check(c[RESET] + c[INACTIVE] == model.config.blocks, "blocks still held after closing everything");
        }

        /** After a failure: give everything back without checking, so the manager's own audit stays meaningful. */
        void cleanUp() {
            for (Waiter w : waiters) {
                w.sub.cancel();
            }
            for (Handle h : handles) {
                h.guard.close();
            }
            completes.forEach(CompleteBlock::close);
            mutables.forEach(MutableBlock::close);
            handles.clear();
            completes.clear();
            mutables.clear();
            waiters.clear();
        }

        void verify(String at) {
            int[] expected = model.counts();
            assertThat(StoreAudit.stateCounts(m))
                    .as("%s: RESET, MUTABLE, STAGED, PRIMARY, DUPLICATE, INACTIVE", at)
                    .containsExactly(expected);
            assertThat(StoreAudit.violations(m)).as("%s: store audit", at).isEmpty();
            assertThat(m.resetBlocks()).as("%s: reset pool", at).isEqualTo(model.resetSize());
            assertThat(m.inactiveBlocks()).as("%s: inactive pool", at).isEqualTo(model.inactive.size());
            assertThat(m.availableBlocks()).as("%s: available", at).isEqualTo(model.available());
            assertThat(m.pendingAllocations()).as("%s: pending", at).isEqualTo(model.pending.size());
            assertThat(m.isClosed()).as("%s: closed", at).isEqualTo(model.closed);
            BlockManagerStats stats = m.stats();
            assertThat(stats.inflightImmutable()).as("%s: open handles", at).isEqualTo(handles.size());
            assertThat(stats.inflightMutable()).as("%s: mutable blocks", at).isEqualTo(expected[MUTABLE]);
            assertThat(new long[] {
                        stats.allocations(),
                        stats.allocationsFromReset(),
                        stats.evictions(),
                        stats.registrations(),
                        stats.duplicateBlocks(),
                        stats.registrationDedup(),
                        stats.stagings(),
                        stats.matchHashesRequested(),
                        stats.matchBlocksReturned(),
                        stats.scanHashesRequested(),
                        stats.scanBlocksReturned()
                    })
                    .as(
                            "%s: allocations, from reset, evictions, registrations, duplicates, dedups, stagings,"
                                    + " match hashes, match hits, scan hashes, scan hits",
                            at)
                    .containsExactly(
                            model.allocations,
                            model.allocationsFromReset,
                            model.evictions,
                            model.registrations,
                            model.duplicates,
                            model.dedups,
                            model.stagings,
                            model.matchHashes,
                            model.matchHits,
                            model.scanHashes,
                            model.scanHits);
            for (Handle h : handles) {
                assertThat(h.guard.useCount())
                        .as("%s: use count of %s", at, h.guard)
                        .isEqualTo(h.entry.refs);
            }
            for (SequenceHash h : u.hashes) {
                assertThat(m.registry().isPresent(h, m.tier()))
                        .as("%s: presence of %s", at, h)
                        .isEqualTo(model.isPresent(h));
            }
        }

        private static <T> RecordingSubscriber<T> subscribe(org.reactivestreams.Publisher<T> publisher) {
            RecordingSubscriber<T> sub = RecordingSubscriber.requesting();
            publisher.subscribe(sub);
            return sub;
        }

        private static void expectError(RecordingSubscriber<?> sub, Class<? extends Throwable> type) {
            check(
                    type.isInstance(sub.error()) && sub.values().isEmpty(),
                    "expected %s, got %s",
                    type.getSimpleName(),
                    sub);
        }
    }

    static void check(boolean condition, String format, Object... args) {
        if (!condition) {
            throw new AssertionError(String.format(format, args));
        }
    }
}
