package io.kvbm.metrics;

import io.kvbm.manager.BlockManager;
import io.kvbm.manager.BlockManagerStats;
import io.kvbm.manager.MetricsRecorder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Binds a {@link BlockManager} to a Micrometer {@link MeterRegistry} with the meter names of Dynamo's
 * {@code kvbm-logical}, so that a Prometheus scrape shows {@code kvbm_allocations_total{pool="G1",...}},
 * {@code kvbm_reset_pool_size{pool="G1",...}} and the rest exactly as Dynamo's dashboards expect. {@link KvbmMeters}
 * lists every meter.
 *
 * <p>Two ways to bind, because the manager itself must not depend on Micrometer:
 *
 * <pre>{@code
 * // 1. when building the manager (preferred): every meter, the allocation-wait timer included
 * BlockManager g1 = BlockManager.builder().blockCount(4096)
 *     .metrics(KvbmMetrics.binder(registry, Tags.of("worker_id", "7")))
 *     .build();
 *
 * // 2. a manager built elsewhere: every meter except the timer, which needs the recorder installed at build time
 * KvbmMetrics metrics = KvbmMetrics.bind(g1, registry, Tags.of("worker_id", "7"));
 * metrics.close();   // removes this manager's meters from the registry
 * }</pre>
 *
 * <h2>Cost</h2>
 *
 * Counters and gauges are {@link FunctionCounter}s and {@link Gauge}s that read {@link BlockManager#stats()} when the
 * registry is scraped: the allocate, register and match paths never call Micrometer. The timer is recorded once per
 * allocation that had to wait, when it leaves the line, from the manager's drain loop (see {@link MetricsRecorder}).
 *
 * <h2>Tags and identity</h2>
 *
 * Every meter is tagged {@code pool=<tier>} plus the common tags given here (for example {@code worker_id}); the
 * timer adds {@code outcome}. Two managers bound to one registry must differ in at least one tag (their tier, or a
 * common tag): binding a second manager whose tags equal an existing one's fails with
 * {@link IllegalArgumentException} instead of silently reporting the first manager's values twice. The Prometheus
 * registry also requires every manager bound to it to use the same tag keys.
 *
 * <p>Meters hold the manager weakly, as Micrometer's binders do: keep the manager referenced while it is in use. The
 * meters of a closed manager stay registered with their final values until {@link #close()} removes them.
 */
public final class KvbmMetrics implements MetricsRecorder, AutoCloseable {

    private static final String POOL = KvbmMeters.Keys.POOL.asString();
    private static final String OUTCOME = KvbmMeters.Keys.OUTCOME.asString();

    /**
     * Returns a binder for {@link BlockManager.Builder#metrics(Function)}: when the manager is built, it registers
     * every meter of {@link KvbmMeters} for it and becomes its recorder of allocation waits.
     *
     * @param registry the registry to register the meters in
     * @param tags common tags added after {@code pool} (for example {@code worker_id}); MUST NOT contain {@code pool}
     *     or {@code outcome}
     * @return the binder
     * @throws IllegalArgumentException if the tags contain a reserved key
     */
    public static Function<BlockManager, MetricsRecorder> binder(MeterRegistry registry, Iterable<Tag> tags) {
        Objects.requireNonNull(registry, "registry");
        Tags common = commonTags(tags);
        return manager -> new KvbmMetrics(manager, registry, common, true);
    }

    /**
     * Registers the meters of an already built manager: every meter of {@link KvbmMeters} except
     * {@link KvbmMeters#ALLOCATION_WAIT}, which only a manager built with {@link #binder} records.
     *
     * @param manager the manager
     * @param registry the registry to register the meters in
     * @param tags common tags added after {@code pool}; MUST NOT contain {@code pool} or {@code outcome}
     * @return the binding, whose {@link #close()} removes the meters again
     * @throws IllegalArgumentException if the tags contain a reserved key, or if meters with the same name and tags
     *     are already registered (another manager of the same tier with the same tags)
     */
    public static KvbmMetrics bind(BlockManager manager, MeterRegistry registry, Iterable<Tag> tags) {
        Objects.requireNonNull(manager, "manager");
        Objects.requireNonNull(registry, "registry");
        return new KvbmMetrics(manager, registry, commonTags(tags), false);
    }

    /**
     * Registers the delivery counters of an event publisher: {@code kvbm.events.publish.failures} (messages the
     * transport refused, e.g. while the NATS server is down) and {@code kvbm.events.publish.discarded} (messages
     * refused because the publisher's bounded queue was full), tagged {@code transport=<name>} plus the common tags.
     * For NATS: {@code bindEventPublisher("nats", nats::publishFailures, nats::discarded, registry, tags)}.
     *
     * @param transport the transport's name, the value of the {@code transport} tag
     * @param failures reads the publisher's failure count (at scrape time)
     * @param discarded reads the publisher's discard count (at scrape time)
     * @param registry the registry
     * @param tags common tags; MUST NOT contain {@code transport}
     * @return the registered meters (remove them from the registry to unbind)
     */
    public static List<Meter> bindEventPublisher(
            String transport,
            LongSupplier failures,
            LongSupplier discarded,
            MeterRegistry registry,
            Iterable<Tag> tags) {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(failures, "failures");
        Objects.requireNonNull(discarded, "discarded");
        Objects.requireNonNull(registry, "registry");
        Tags common = Tags.of(Objects.requireNonNull(tags, "tags"));
        if (common.stream().anyMatch(t -> t.getKey().equals("transport"))) {
            throw new IllegalArgumentException("tags must not contain the reserved key transport, got " + common);
        }
        Tags all = Tags.of("transport", transport).and(common);
        return List.of(
                FunctionCounter.builder(PUBLISH_FAILURES, failures, LongSupplier::getAsLong)
                        .description(
                                "Event messages the transport refused (for NATS: while the server was unreachable)")
                        .tags(all)
                        .register(registry),
                FunctionCounter.builder(PUBLISH_DISCARDED, discarded, LongSupplier::getAsLong)
                        .description("Event messages refused because the publisher's bounded queue was full")
                        .tags(all)
                        .register(registry));
    }

    /** The Micrometer name of the publisher failure counter. */
    public static final String PUBLISH_FAILURES = "kvbm.events.publish.failures";

    /** The Micrometer name of the publisher discard counter. */
    public static final String PUBLISH_DISCARDED = "kvbm.events.publish.discarded";

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final Timer[] waits; // by WaitOutcome ordinal; empty when bound without the timer
    private volatile boolean closed;

    private KvbmMetrics(BlockManager manager, MeterRegistry registry, Tags common, boolean withTimer) {
        this.registry = registry;
        Tags tags = Tags.of(POOL, manager.tier().name()).and(common);
        requireUnbound(registry, tags, manager);
        for (KvbmMeters meter : KvbmMeters.values()) {
            ToDoubleFunction<BlockManagerStats> reader = meter.reader();
            if (reader == null) {
                continue; // the timer, below
            }
            ToDoubleFunction<BlockManager> read = m -> reader.applyAsDouble(m.stats());
            if (meter.getType() == Meter.Type.COUNTER) {
                meters.add(FunctionCounter.builder(meter.getName(), manager, read)
                        .description(meter.description())
                        .tags(tags)
                        .register(registry));
            } else {
                meters.add(Gauge.builder(meter.getName(), manager, read)
                        .description(meter.description())
                        .tags(tags)
                        .register(registry));
            }
        }
        if (withTimer) {
            WaitOutcome[] outcomes = WaitOutcome.values();
            waits = new Timer[outcomes.length];
            for (WaitOutcome outcome : outcomes) {
                Timer timer = Timer.builder(KvbmMeters.ALLOCATION_WAIT.getName())
                        .description(KvbmMeters.ALLOCATION_WAIT.description())
                        .tags(tags)
                        .tag(OUTCOME, outcome.name().toLowerCase(Locale.ROOT))
                        .register(registry);
                waits[outcome.ordinal()] = timer;
                meters.add(timer);
            }
        } else {
            waits = new Timer[0];
        }
    }

    private static Tags commonTags(Iterable<Tag> tags) {
        Tags common = Tags.of(Objects.requireNonNull(tags, "tags"));
        common.stream().forEach(tag -> {
            if (tag.getKey().equals(POOL) || tag.getKey().equals(OUTCOME)) {
                throw new IllegalArgumentException("tags must not contain '" + tag.getKey()
                        + "': KvbmMetrics sets it itself, got " + tag.getKey() + "=" + tag.getValue());
            }
        });
        return common;
    }

    /** Refuses to shadow another manager's meters: Micrometer would hand back the existing meter and say nothing. */
    private static void requireUnbound(MeterRegistry registry, Tags tags, BlockManager manager) {
        Set<Tag> wanted = new HashSet<>();
        tags.forEach(wanted::add);
        for (Meter existing :
                registry.find(KvbmMeters.ALLOCATIONS.getName()).tags(tags).meters()) {
            if (new HashSet<>(existing.getId().getTags()).equals(wanted)) {
                throw new IllegalArgumentException("meters " + KvbmMeters.ALLOCATIONS.getName() + " with tags " + wanted
                        + " are already registered, so " + manager
                        + " would report another manager's values: give each manager a distinguishing tag "
                        + "(for example worker_id) or close the other binding first");
            }
        }
    }

    /**
     * Records one waiting allocation in the {@code kvbm.allocation.wait} timer of its outcome. Called by the manager's
     * drain loop; does nothing when bound with {@link #bind} or after {@link #close()}.
     *
     * @param waitNanos the time it waited
     * @param outcome why it left the line
     */
    @Override
    public void recordAllocationWait(long waitNanos, WaitOutcome outcome) {
        if (waits.length != 0 && !closed) {
            waits[outcome.ordinal()].record(waitNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Returns the meters this binding registered.
     *
     * @return the meters, in {@link KvbmMeters} order (the timer once per outcome)
     */
    public List<Meter> meters() {
        return List.copyOf(meters);
    }

    /**
     * Removes this binding's meters from the registry. Idempotent; the manager is unaffected (its counters keep
     * counting, and binding it again shows them with their full history).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Meter meter : meters) {
            registry.remove(meter);
        }
    }
}
