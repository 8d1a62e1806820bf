package io.kvbm.testing;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts one {@link NatsServer} for a test class and stops it after the class; the class's tests are <em>skipped</em>
 * (JUnit assumption) when {@code nats-server} is not installed. Register it in a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final NatsServerExtension NATS = new NatsServerExtension();
 * }</pre>
 */
public final class NatsServerExtension implements BeforeAllCallback, AfterAllCallback {

    private volatile NatsServer server;

    /** The running server (after {@code beforeAll}). */
    public NatsServer server() {
        NatsServer s = server;
        if (s == null) {
            throw new IllegalStateException("the NATS server starts in beforeAll; register the extension statically");
        }
        return s;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Assumptions.assumeTrue(
                NatsServer.binary().isPresent(),
                "nats-server is not installed (apt-get install -y nats-server; .ci/run does it): NATS tests skipped");
        server = NatsServer.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        NatsServer s = server;
        server = null;
        if (s != null) {
            s.close();
        }
    }
}
