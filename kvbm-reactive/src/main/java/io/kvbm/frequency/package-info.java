/**
 * Access-frequency tracking for eviction policies that favour popular blocks.
 *
 * <p>{@link io.kvbm.frequency.FrequencyTracker} is the SPI the registry and the manager touch; a TinyLFU count-min
 * sketch implementation joins it with the frequency-aware eviction policies.
 */
@NullMarked
package io.kvbm.frequency;

import org.jspecify.annotations.NullMarked;
