package io.kvbm.testing;

import io.kvbm.eviction.EvictionPolicy;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.provider.ArgumentsSource;

/**
 * Runs a test once per built-in eviction policy ({@link TestManagers#evictionPolicies()}), each named by its policy
 * name. The test method takes {@code (EvictionPolicy eviction)}; {@link PolicyMatrix} adds the duplication policy.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@ParameterizedTest(name = "{0}")
@ArgumentsSource(EvictionPolicies.Provider.class)
public @interface EvictionPolicies {

    /** Supplies every built-in eviction policy. */
    final class Provider implements ArgumentsProvider {
        @Override
        public Stream<? extends Arguments> provideArguments(ExtensionContext context) {
            return named().map(Arguments::of);
        }

        /** Every built-in eviction policy, named by its policy name for display names. */
        static Stream<Named<EvictionPolicy>> named() {
            return TestManagers.evictionPolicies().stream().map(eviction -> Named.of(eviction.name(), eviction));
        }
    }
}
