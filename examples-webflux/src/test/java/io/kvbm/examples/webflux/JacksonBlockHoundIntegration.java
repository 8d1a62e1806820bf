package io.kvbm.examples.webflux;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Lets Jackson wait for the lock that guards its one-time construction of a deserializer.
 *
 * <p>The first time a type is read, {@code DeserializerCache._createAndCacheValueDeserializer} builds its deserializer
 * under a {@code ReentrantLock}; a second event loop reading the same type at that moment parks until the first one
 * is done. The lock is held for CPU-bound work only (introspecting the type), once per type for the life of the
 * mapper. Jackson 2.16 and earlier did the same under {@code synchronized}, which BlockHound does not see; the switch
 * to a lock (for virtual threads) is what makes it visible. It showed up when the overload test's first requests hit
 * a cold mapper at the same instant.
 *
 * <p>Worse than a failed request: BlockHound's error, thrown from inside {@code LockSupport.park}, leaves the waiting
 * thread's node in the lock's queue without cancelling it, so a thread queued behind it is never woken. That thread
 * is an event loop, and every connection it serves hangs (the first run of the overload test hung for 30 s). So this
 * cannot be left for the test to tolerate. Only this one method is allowed; any other blocking call on an event loop still fails the tests. Registered in {@code META-INF/services/reactor.blockhound.integration.BlockHoundIntegration}.
 */
public final class JacksonBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside(
                "tools.jackson.databind.deser.DeserializerCache", "_createAndCacheValueDeserializer");
    }
}
