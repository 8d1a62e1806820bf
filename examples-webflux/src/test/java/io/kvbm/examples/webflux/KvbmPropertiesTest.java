package io.kvbm.examples.webflux;

import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class KvbmPropertiesTest {

    private static final KvbmProperties.Decode DECODE = new KvbmProperties.Decode(Duration.ofMillis(20), 16, 512);

    @Test
    void new_nonPositiveTimeout_namesTheProperty() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new KvbmProperties(16, 4, 8, Duration.ZERO, Duration.ofSeconds(1), DECODE))
                .withMessage("kvbm.allocation-timeout must be positive, got PT0S");
    }

    @Test
    void new_retryAfterUnderOneSecond_namesTheProperty() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new KvbmProperties(16, 4, 8, Duration.ofSeconds(1), Duration.ofMillis(500), DECODE))
                .withMessage("kvbm.retry-after must be at least 1s, got PT0.5S");
    }

    @Test
    void decode_defaultAboveMax_namesTheProperty() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new KvbmProperties.Decode(Duration.ZERO, 9, 8))
                .withMessage("kvbm.decode.default-tokens must be in [0, 8], got 9");
    }

    @Test
    void decode_negativeLatency_namesTheProperty() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new KvbmProperties.Decode(Duration.ofMillis(-1), 0, 8))
                .withMessage("kvbm.decode.token-latency must not be negative, got PT-0.001S");
    }
}
