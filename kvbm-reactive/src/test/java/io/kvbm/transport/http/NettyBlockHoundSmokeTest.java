package io.kvbm.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.testing.TestBlocks;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

/**
 * Proves that BlockHound watches Reactor Netty's event-loop threads in this test JVM, so that the HTTP tests' "passes
 * under BlockHound" (the scrape served on the event loop, the SSE streams) means something: a sleep in a request
 * handler is reported there.
 */
class NettyBlockHoundSmokeTest {

    @Test
    void sleep_inARequestHandler_isDetectedOnTheEventLoop() {
        AtomicReference<Throwable> detected = new AtomicReference<>();
        DisposableServer server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                .route(routes -> routes.get("/sleep", (req, res) -> {
                    try {
                        Thread.sleep(1);
                    } catch (Throwable t) {
                        detected.set(t);
                    }
                    return res.sendString(Mono.just(Thread.currentThread().getName()));
                }))
                .bindNow(TestBlocks.TIMEOUT);
        String thread;
        try {
            thread = HttpClient.create()
                    .get()
                    .uri("http://127.0.0.1:" + server.port() + "/sleep")
                    .responseContent()
                    .aggregate()
                    .asString()
                    .block(TestBlocks.TIMEOUT);
        } finally {
            server.disposeNow(TestBlocks.TIMEOUT);
        }

        assertThat(thread).startsWith("reactor-http-");
        assertThat(detected.get())
                .isInstanceOf(reactor.blockhound.BlockingOperationError.class)
                .hasMessageContaining("Thread.sleep");
    }
}
