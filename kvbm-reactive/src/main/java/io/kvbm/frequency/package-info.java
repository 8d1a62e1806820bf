/**
 * Access-frequency tracking for eviction policies that favour popular blocks.
 *
 * <p>{@link io.kvbm.frequency.FrequencyTracker} is the SPI the registry and the manager touch;
 * {@link io.kvbm.frequency.FrequencyTracker#tinyLfu(FrequencyTrackingCapacity)} is the TinyLFU implementation over a
 * {@link io.kvbm.frequency.FrequencySketch} (Caffeine's cache-line count-min sketch), which the
 * {@link io.kvbm.eviction.EvictionPolicy#multiLru() multiLru} policy reads to sort released blocks into levels and the
 * {@link io.kvbm.eviction.EvictionPolicy#lineageLfu() lineageLfu} policy to postpone their eviction.
 */
@NullMarked
package io.kvbm.frequency;

import org.jspecify.annotations.NullMarked;
