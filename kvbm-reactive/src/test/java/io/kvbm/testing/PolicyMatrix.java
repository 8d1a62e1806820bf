package io.kvbm.testing;

import io.kvbm.manager.DuplicationPolicy;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Runs a manager-level test once per built-in eviction policy × duplication policy (reactor-pool's {@code PoolStyle},
 * Caffeine's {@code CacheSpec}). The test method takes {@code (EvictionPolicy eviction, DuplicationPolicy duplication)}
 * and builds its manager with {@link TestManagers#create(int, DuplicationPolicy, io.kvbm.eviction.EvictionPolicy)}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@ParameterizedTest(name = "{0} × {1}")
@ArgumentsSource(PolicyMatrix.Provider.class)
public @interface PolicyMatrix {

    /** Supplies every (eviction, duplication) pair. */
    final class Provider implements ArgumentsProvider {
        @Override
        public Stream<? extends Arguments> provideArguments(ExtensionContext context) {
            return EvictionPolicies.Provider.named()
                    .flatMap(eviction -> Stream.of(DuplicationPolicy.values())
                            .map(duplication -> Arguments.of(eviction, duplication)));
        }
    }
}
