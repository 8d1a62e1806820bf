package io.kvbm.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** Reads the meters of one manager (by its {@code pool} tag) from a registry, for the metric tests. */
final class MeterValues {

    private final MeterRegistry registry;
    private final String pool;

    MeterValues(MeterRegistry registry, String pool) {
        this.registry = registry;
        this.pool = pool;
    }

    /** The current value of a counter or gauge, as a scrape would read it. */
    long get(KvbmMeters meter) {
        Meter m = registry.get(meter.getName()).tag("pool", pool).meter();
        return (long) m.measure().iterator().next().getValue();
    }

    /** The {@code kvbm.allocation.wait} timer of one outcome. */
    Timer waits(String outcome) {
        return registry.get(KvbmMeters.ALLOCATION_WAIT.getName())
                .tag("pool", pool)
                .tag("outcome", outcome)
                .timer();
    }

    /** Waiting allocations recorded over all outcomes. */
    long waitsRecorded() {
        return registry.get(KvbmMeters.ALLOCATION_WAIT.getName()).tag("pool", pool).timers().stream()
                .mapToLong(Timer::count)
                .sum();
    }

    /** Total recorded wait of one outcome, in nanoseconds. */
    double waitedNanos(String outcome) {
        return waits(outcome).totalTime(TimeUnit.NANOSECONDS);
    }
}
