package io.kvbm.metrics;

import io.kvbm.manager.BlockManagerStats;
import io.micrometer.common.docs.KeyName;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.docs.MeterDocumentation;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Every meter {@link KvbmMetrics} registers for a {@link io.kvbm.manager.BlockManager}: its Micrometer name, type,
 * unit, tags and what moves it (reactor-pool's {@code PoolMetersDocumentation}).
 *
 * <p>The first fifteen carry the names of Dynamo's {@code kvbm-logical} metrics, so that Micrometer's Prometheus naming
 * yields exactly the series Dynamo's dashboards query ({@code kvbm.allocations} → {@code kvbm_allocations_total},
 * {@code kvbm.reset.pool.size} → {@code kvbm_reset_pool_size}); the others are added by kvbm-reactive. Every meter is
 * tagged {@code pool=<tier>} ({@code "G1"}…) followed by the common tags given to {@link KvbmMetrics}. No meter sets a
 * Micrometer base unit, because Prometheus would append it to the name; the unit is documentation only.
 *
 * <p>{@code docs/metrics.md} lists the same table; {@code MetricsDocumentationTest} fails when the two differ.
 */
public enum KvbmMeters implements MeterDocumentation {

    /** Every block handed out by an allocation, whether it came from the reset pool or was evicted. */
    ALLOCATIONS(
            "kvbm.allocations",
            Meter.Type.COUNTER,
            "blocks",
            "Blocks handed out by allocations, from the reset pool or evicted from the inactive pool",
            BlockManagerStats::allocations),

    /** Blocks handed out from the reset pool (the free list). */
    ALLOCATIONS_FROM_RESET(
            "kvbm.allocations.from.reset",
            Meter.Type.COUNTER,
            "blocks",
            "Blocks handed out by allocations from the reset pool",
            BlockManagerStats::allocationsFromReset),

    /** Cached blocks an allocation evicted from the inactive pool; {@code resetInactive()} is not counted. */
    EVICTIONS(
            "kvbm.evictions",
            Meter.Type.COUNTER,
            "blocks",
            "Cached blocks evicted from the inactive pool by allocations (not those dropped by resetInactive)",
            BlockManagerStats::evictions),

    /** Every block passed to {@code register}/{@code registerAll}, duplicates and deduplicated ones included. */
    REGISTRATIONS(
            "kvbm.registrations",
            Meter.Type.COUNTER,
            "blocks",
            "Blocks passed to register or registerAll, duplicates and deduplicated registrations included",
            BlockManagerStats::registrations),

    /** Duplicates created under {@code DuplicationPolicy.ALLOW}. */
    DUPLICATE_BLOCKS(
            "kvbm.duplicate.blocks",
            Meter.Type.COUNTER,
            "blocks",
            "Duplicate blocks created under DuplicationPolicy.ALLOW",
            BlockManagerStats::duplicateBlocks),

    /** Registrations answered with the existing primary under {@code DuplicationPolicy.REJECT}. */
    REGISTRATION_DEDUP(
            "kvbm.registration.dedup",
            Meter.Type.COUNTER,
            "blocks",
            "Registrations answered with the existing primary under DuplicationPolicy.REJECT",
            BlockManagerStats::registrationDedup),

    /** Mutable → complete transitions ({@code stage}, {@code complete}). */
    STAGINGS(
            "kvbm.stagings",
            Meter.Type.COUNTER,
            "blocks",
            "MutableBlock to CompleteBlock transitions (stage, complete)",
            BlockManagerStats::stagings),

    /** The input length of every {@code match}. */
    MATCH_HASHES_REQUESTED(
            "kvbm.match.hashes.requested",
            Meter.Type.COUNTER,
            "hashes",
            "Hashes passed to match (the input length of every prefix lookup)",
            BlockManagerStats::matchHashesRequested),

    /** The blocks every {@code match} returned; divided by {@link #MATCH_HASHES_REQUESTED}, the prefix hit rate. */
    MATCH_BLOCKS_RETURNED(
            "kvbm.match.blocks.returned",
            Meter.Type.COUNTER,
            "blocks",
            "Blocks returned by match (cache hits of prefix lookups)",
            BlockManagerStats::matchBlocksReturned),

    /** The input length of every {@code scan}. */
    SCAN_HASHES_REQUESTED(
            "kvbm.scan.hashes.requested",
            Meter.Type.COUNTER,
            "hashes",
            "Hashes passed to scan",
            BlockManagerStats::scanHashesRequested),

    /** The hits of every {@code scan}. */
    SCAN_BLOCKS_RETURNED(
            "kvbm.scan.blocks.returned",
            Meter.Type.COUNTER,
            "blocks",
            "Blocks returned by scan",
            BlockManagerStats::scanBlocksReturned),

    /** Slots held as {@code MutableBlock} now; staged slots are not counted. */
    INFLIGHT_MUTABLE(
            "kvbm.inflight.mutable",
            Meter.Type.GAUGE,
            "blocks",
            "Slots held as MutableBlock (staged slots are not counted)",
            BlockManagerStats::inflightMutable),

    /** Open {@code ImmutableBlock} handles now; each {@code retain()} counts. */
    INFLIGHT_IMMUTABLE(
            "kvbm.inflight.immutable",
            Meter.Type.GAUGE,
            "handles",
            "Open ImmutableBlock handles (each retain counts)",
            BlockManagerStats::inflightImmutable),

    /** Blocks in the reset pool now; {@code blockCount} on a fresh manager. */
    RESET_POOL_SIZE(
            "kvbm.reset.pool.size",
            Meter.Type.GAUGE,
            "blocks",
            "Blocks in the reset pool (free, holding nothing)",
            BlockManagerStats::resetPoolSize),

    /** Blocks cached in the inactive pool now. */
    INACTIVE_POOL_SIZE(
            "kvbm.inactive.pool.size",
            Meter.Type.GAUGE,
            "blocks",
            "Blocks cached in the inactive pool (released, still matchable, evictable)",
            BlockManagerStats::inactivePoolSize),

    /** Allocations waiting for blocks now (kvbm-reactive; reactor-pool's pending-acquire gauge). */
    PENDING_ALLOCATIONS(
            "kvbm.pending.allocations",
            Meter.Type.GAUGE,
            "allocations",
            "Allocations waiting in line for blocks",
            BlockManagerStats::pendingAllocations),

    /**
     * The time each allocation that had to wait spent in line, recorded once when it leaves the line, tagged
     * {@code outcome} (kvbm-reactive). Allocations served at once are not recorded.
     */
    ALLOCATION_WAIT(
            "kvbm.allocation.wait",
            Meter.Type.TIMER,
            "seconds",
            "Time an allocation that had to wait spent in line, recorded once per waiting allocation by outcome",
            null) {
        @Override
        public KeyName[] getKeyNames() {
            return new KeyName[] {Keys.POOL, Keys.OUTCOME};
        }
    },

    /** Guards garbage collected without {@code close()} whose blocks the leak detector returned (kvbm-reactive). */
    LEAKED_BLOCKS(
            "kvbm.leaked.blocks",
            Meter.Type.COUNTER,
            "guards",
            "Guards garbage collected without close() whose blocks the leak detector returned",
            BlockManagerStats::leakedBlocks),

    /** Event subscribers terminated with {@code EventStreamOverflowException} (kvbm-reactive). */
    EVENTS_DROPPED_SUBSCRIBERS(
            "kvbm.events.dropped.subscribers",
            Meter.Type.COUNTER,
            "subscribers",
            "Event subscribers terminated with EventStreamOverflowException for falling behind",
            BlockManagerStats::eventSubscribersDropped),

    /**
     * Allocations undone because the eviction index yielded fewer victims than it reported; always 0 with the
     * built-in policies (Dynamo's {@code kvbm_allocate_atomic_rollback_total} audit counter).
     */
    ALLOCATE_ATOMIC_ROLLBACK(
            "kvbm.allocate.atomic.rollback",
            Meter.Type.COUNTER,
            "allocations",
            "Allocations undone because the eviction index yielded fewer victims than it reported",
            BlockManagerStats::allocateRollbacks);

    private final String meterName;
    private final Meter.Type type;
    private final String unit;
    private final String description;
    private final @Nullable ToDoubleFunction<BlockManagerStats> read;

    KvbmMeters(
            String meterName,
            Meter.Type type,
            String unit,
            String description,
            @Nullable ToLongFunction<BlockManagerStats> read) {
        this.meterName = meterName;
        this.type = type;
        this.unit = unit;
        this.description = description;
        this.read = read == null ? null : stats -> read.applyAsLong(stats);
    }

    @Override
    public String getName() {
        return meterName;
    }

    @Override
    public Meter.Type getType() {
        return type;
    }

    @Override
    public KeyName[] getKeyNames() {
        return new KeyName[] {Keys.POOL};
    }

    /**
     * Returns what one unit of the meter is ("blocks", "hashes", "seconds"…), for documentation; never set as a
     * Micrometer base unit.
     *
     * @return the unit
     */
    public String unit() {
        return unit;
    }

    /**
     * Returns what the meter counts or measures, as registered with Micrometer and printed in the Prometheus
     * {@code # HELP} line.
     *
     * @return the description
     */
    public String description() {
        return description;
    }

    /**
     * Returns the name of the main Prometheus series this meter produces: {@code _total} for counters, the plain name
     * for gauges, {@code _seconds_count} for the timer (which also has {@code _seconds_sum} and
     * {@code _seconds_max}).
     *
     * @return the series name, for example {@code kvbm_allocations_total}
     */
    public String prometheusName() {
        String base = meterName.replace('.', '_').toLowerCase(Locale.ROOT);
        switch (type) {
            case COUNTER:
                return base + "_total";
            case TIMER:
                return base + "_seconds_count";
            default:
                return base;
        }
    }

    /** Reads this meter's value from a snapshot; null for the timer, which is recorded, not read. */
    @Nullable
    ToDoubleFunction<BlockManagerStats> reader() {
        return read;
    }

    /** The tag keys of the meters. */
    public enum Keys implements KeyName {
        /** The storage tier of the manager: {@code G1}, {@code G2}, {@code G3} or {@code G4} (Dynamo's label). */
        POOL {
            @Override
            public String asString() {
                return "pool";
            }
        },
        /**
         * Why a waiting allocation left the line ({@link #ALLOCATION_WAIT} only): {@code acquired}, {@code timed_out},
         * {@code cancelled} or {@code failed}.
         */
        OUTCOME {
            @Override
            public String asString() {
                return "outcome";
            }
        }
    }
}
