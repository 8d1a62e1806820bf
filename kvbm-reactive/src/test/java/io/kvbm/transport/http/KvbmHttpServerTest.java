package io.kvbm.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.manager.BlockManager;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The server's configuration and lifecycle: validation that names the value, start once, close idempotent. */
class KvbmHttpServerTest {

    private final BlockManager manager = TestManagers.create(4);

    @Test
    void builder_badValues_rejectedNamingTheValue() {
        KvbmHttpServer.Builder builder = KvbmHttpServer.builder();

        assertThatThrownBy(() -> builder.port(65536)).hasMessage("port must be in [0, 65535], got 65536");
        assertThatThrownBy(() -> builder.port(-1)).hasMessageContaining("got -1");
        assertThatThrownBy(() -> builder.host(" ")).hasMessage("host must not be blank");
        assertThatThrownBy(() -> builder.events("a/b", manager))
                .hasMessage("event stream name must be 1 to 64 of [A-Za-z0-9._-], got 'a/b'");
        assertThatThrownBy(() -> builder.events("", manager)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.replayBatches(0)).hasMessage("replayBatches must be positive, got 0");
        assertThatThrownBy(() -> builder.snapshotBatchSize(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> builder.clientBufferSize(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> builder.heartbeat(Duration.ZERO)).hasMessageContaining("PT0S");
        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nothing");
        builder.events(manager);
        assertThatThrownBy(() -> builder.events("G1", manager)).hasMessage("event stream name 'G1' is already used");
    }

    @Test
    void start_twice_secondFails_andPortOnlyOnceStarted() {
        KvbmHttpServer server = KvbmHttpServer.builder().events(manager).build();
        assertThatThrownBy(server::port).isInstanceOf(IllegalStateException.class);

        server.start().block(TestBlocks.TIMEOUT);
        try {
            assertThat(server.port()).isPositive();
            assertThat(server.uri()).isEqualTo(URI.create("http://127.0.0.1:" + server.port()));
            assertThatThrownBy(() -> server.start().block(TestBlocks.TIMEOUT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already started");
        } finally {
            server.close().block(TestBlocks.TIMEOUT);
        }
        assertThatThrownBy(() -> server.start().block(TestBlocks.TIMEOUT)).hasMessageContaining("is closed");
    }

    @Test
    void start_portInUse_failsAndClosesTheServer() {
        KvbmHttpServer first =
                KvbmHttpServer.builder().events(manager).build().start().block(TestBlocks.TIMEOUT);
        try {
            KvbmHttpServer second =
                    KvbmHttpServer.builder().events(manager).port(first.port()).build();
            assertThatThrownBy(() -> second.start().block(TestBlocks.TIMEOUT)).isNotNull();
            assertThat(second.toString()).endsWith("closed]");
        } finally {
            first.close().block(TestBlocks.TIMEOUT);
        }
    }

    @Test
    void close_neverStarted_completes() {
        KvbmHttpServer server = KvbmHttpServer.builder().events(manager).build();

        server.close().block(TestBlocks.TIMEOUT);
        server.close().block(TestBlocks.TIMEOUT);

        assertThat(server.toString()).endsWith("closed]");
    }

    @Test
    void parseLastEventId_acceptsSeqsFromMinusOne() {
        assertThat(KvbmHttpServer.parseLastEventId(null)).isEqualTo(EventFeed.NO_ID);
        assertThat(KvbmHttpServer.parseLastEventId("")).isEqualTo(EventFeed.NO_ID);
        assertThat(KvbmHttpServer.parseLastEventId(" 12 ")).isEqualTo(12);
        assertThat(KvbmHttpServer.parseLastEventId("-1")).isEqualTo(-1);
        assertThatThrownBy(() -> KvbmHttpServer.parseLastEventId("x".repeat(100)))
                .hasMessageEndingWith("got '" + "x".repeat(40) + "...'");
    }

    @Test
    void client_badArguments_rejected() {
        assertThatThrownBy(() -> KvbmHttpEventClient.create(URI.create("/events/G1")))
                .hasMessage("streamUri must be an absolute http(s) URI, got /events/G1");
        assertThatThrownBy(() -> KvbmHttpEventClient.create(URI.create("ftp://h/events")))
                .isInstanceOf(IllegalArgumentException.class);
        KvbmHttpEventClient client = KvbmHttpEventClient.create(URI.create("http://127.0.0.1:1/events"));
        assertThatThrownBy(() -> client.events(-2)).hasMessage("lastEventId must be >= -1, got -2");
        assertThatThrownBy(() ->
                        KvbmHttpEventClient.builder(URI.create("http://h/e")).idleTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
