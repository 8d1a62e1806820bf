package io.kvbm.transport.http;

import io.kvbm.event.EventBatch;
import io.kvbm.event.EventCodec;
import io.kvbm.event.EventKind;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.util.retry.Retry;

/**
 * Consumes one event stream of a {@link KvbmHttpServer} ({@code /events/{name}}) as a {@code Flux<EventBatch>},
 * reconnecting and resuming where it left off when the connection is lost.
 *
 * <pre>{@code
 * KvbmHttpEventClient g1 = KvbmHttpEventClient.create(URI.create("http://127.0.0.1:9400/events/G1"));
 * g1.events().subscribe(router::apply);   // a snapshot, then live batches, across reconnects
 * }</pre>
 *
 * <h2>What a subscription sees</h2>
 *
 * {@link #events()} starts with a snapshot of what the tier holds (a hash-less {@code CLEARED} batch and
 * {@code STORED} batches carrying the same {@code seq}), then the live batches. When the connection is lost, the
 * client reconnects per its {@link Builder#reconnect(Retry) reconnect policy}, sending {@code Last-Event-ID} (the
 * {@code seq} of the last complete state it received) and the stream's epoch: the server resumes with the next batch
 * if it still has it, so the stream continues without gap or duplicate, or otherwise sends a new snapshot (the
 * consumer rule of {@code docs/events.md} handles both: a snapshot starts with {@link EventBatch#startsSnapshot()}).
 * The stream completes after the {@code SHUTDOWN} batch (the manager closed), or on {@code 410 Gone}.
 *
 * <h2>Errors</h2>
 *
 * Lost connections, connection failures, idle timeouts and {@code 5xx} answers are retried per the reconnect policy
 * and surface only when it gives up ({@link Retry} wraps the last one). A {@code 4xx} answer ends the stream with
 * {@link HttpStatusException} and data that is not a valid batch with {@link IllegalArgumentException}, without retry.
 *
 * <h2>Threading</h2>
 *
 * Batches are decoded and delivered on Reactor Netty's event loop: use {@code publishOn} for heavy consumers. Each
 * subscription is one independent connection (and its own resume cursor); cancelling closes it.
 */
public final class KvbmHttpEventClient {

    /**
     * Returns a client of {@code streamUri} with the default settings.
     *
     * @param streamUri the stream, for example {@code http://127.0.0.1:9400/events/G1}
     * @return the client
     */
    public static KvbmHttpEventClient create(URI streamUri) {
        return builder(streamUri).build();
    }

    /**
     * Returns a builder for a client of {@code streamUri}.
     *
     * @param streamUri the stream, for example {@code http://127.0.0.1:9400/events/G1}
     * @return a new builder
     * @throws IllegalArgumentException if the URI is not absolute http(s)
     */
    public static Builder builder(URI streamUri) {
        return new Builder(streamUri);
    }

    private final URI uri;
    private final HttpClient http;
    private final Retry reconnect;
    private final @Nullable Duration idleTimeout;

    private KvbmHttpEventClient(Builder builder) {
        this.uri = builder.uri;
        this.reconnect = builder.reconnect;
        this.idleTimeout = builder.idleTimeout;
        HttpClient client = builder.http == null ? HttpClient.create() : builder.http;
        this.http = idleTimeout == null ? client : client.responseTimeout(idleTimeout);
    }

    /**
     * Returns the stream: a snapshot, then the live batches, across reconnects.
     *
     * <p>Subscribing connects; each subscription is one independent stream with its own connection and resume
     * cursor. Emits the batches in order (the snapshot's batches repeat one {@code seq}; after a reconnect the stream
     * resumes with the next {@code seq} or restarts with a snapshot). Completes after the {@code SHUTDOWN} batch;
     * errors as described in the class documentation. Cancelling closes the connection.
     *
     * @return a lazy {@link Flux} of the batches
     */
    public Flux<EventBatch> events() {
        return stream(null);
    }

    /**
     * Returns the stream resumed after {@code lastEventId}: the batches after it if the server still has them,
     * otherwise a snapshot first. For a consumer that kept its view (and the {@code seq} it reached) across its own
     * restart. Without the epoch of the stream it came from, the server cannot tell a {@code seq} of a restarted
     * worker from one of the current worker: resume only from a worker you know did not restart.
     *
     * @param lastEventId the {@code seq} of the last batch the consumer applied, {@code >= -1}
     * @return a lazy {@link Flux} of the batches
     * @throws IllegalArgumentException if {@code lastEventId < -1}
     */
    public Flux<EventBatch> events(long lastEventId) {
        if (lastEventId < -1) {
            throw new IllegalArgumentException("lastEventId must be >= -1, got " + lastEventId);
        }
        return stream(Long.toString(lastEventId));
    }

    private Flux<EventBatch> stream(@Nullable String lastEventId) {
        return Flux.defer(() -> {
            Cursor cursor = new Cursor(lastEventId);
            return Flux.defer(() -> connect(cursor)).retryWhen(reconnect).handle((item, sink) -> {
                if (item instanceof EventBatch) {
                    sink.next((EventBatch) item);
                } else {
                    sink.error(((Permanent) item).error);
                }
            });
        });
    }

    /**
     * One connection: batches, then completion after SHUTDOWN (or 410), a {@link Permanent} failure to end the whole
     * stream without a retry, or an error (lost connection, 5xx) that the reconnect policy retries.
     */
    private Flux<Object> connect(Cursor cursor) {
        String lastId = cursor.lastEventId;
        String epoch = cursor.epoch;
        return http.headers(headers -> {
                    headers.set(HttpHeaderNames.ACCEPT, "text/event-stream");
                    if (lastId != null) {
                        headers.set("Last-Event-ID", lastId);
                    }
                    if (epoch != null) {
                        headers.set(KvbmHttpServer.EPOCH_HEADER, epoch);
                    }
                })
                .get()
                .uri(uri)
                .response((response, body) -> {
                    int status = response.status().code();
                    if (status != 200) {
                        return body.aggregate().asString().defaultIfEmpty("").flatMapMany(text -> {
                            if (status == 410) {
                                return Flux.empty(); // the stream has ended for good
                            }
                            HttpStatusException error = new HttpStatusException(status, text.trim());
                            return status >= 500 ? Flux.error(error) : Flux.just(new Permanent(error));
                        });
                    }
                    String served = response.responseHeaders().get(KvbmHttpServer.EPOCH_HEADER);
                    if (epoch != null && !epoch.equals(served)) {
                        // Another incarnation (the server answers with a snapshot): our seq means nothing to it, and
                        // sending it back with its epoch after a cut in that snapshot would resume the wrong history.
                        cursor.lastEventId = null;
                    }
                    cursor.epoch = served;
                    ServerSentEvents.Parser parser = new ServerSentEvents.Parser();
                    boolean[] shutdown = {false};
                    return body.asByteArray()
                            .concatMapIterable(parser::feed)
                            .<Object>handle((event, sink) -> {
                                if (!ServerSentEvents.BATCH_EVENT.equals(event.type())) {
                                    return; // an event type of a newer server
                                }
                                EventBatch batch;
                                try {
                                    batch = EventCodec.decode(
                                            Base64.getDecoder().decode(event.data()));
                                } catch (IllegalArgumentException e) {
                                    sink.next(new Permanent(new IllegalArgumentException(
                                            "malformed event from " + uri + ": " + e.getMessage(), e)));
                                    sink.complete();
                                    return;
                                }
                                sink.next(batch);
                                if (event.id() != null) {
                                    cursor.lastEventId = event.id();
                                }
                                if (batch.kind() == EventKind.SHUTDOWN) {
                                    shutdown[0] = true;
                                    sink.complete();
                                }
                            })
                            .concatWith(Mono.defer(() -> shutdown[0]
                                    ? Mono.empty()
                                    : Mono.error(new EventStreamDisconnectedException(
                                            "the event stream " + uri + " ended before its SHUTDOWN batch"))));
                });
    }

    @Override
    public String toString() {
        return "KvbmHttpEventClient[" + uri + "]";
    }

    /** Where a stream is: what to send on the next connection. Connections of one stream never overlap. */
    private static final class Cursor {
        volatile @Nullable String lastEventId;
        volatile @Nullable String epoch;

        Cursor(@Nullable String lastEventId) {
            this.lastEventId = lastEventId;
        }
    }

    /** A failure that ends the stream without a reconnect: carried as a value past {@code retryWhen}. */
    private static final class Permanent {
        final Throwable error;

        Permanent(Throwable error) {
            this.error = error;
        }
    }

    /** Configures a {@link KvbmHttpEventClient}. */
    public static final class Builder {

        private final URI uri;
        private @Nullable HttpClient http;
        private Retry reconnect = Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100))
                .maxBackoff(Duration.ofSeconds(5))
                .transientErrors(true);
        private @Nullable Duration idleTimeout = Duration.ofSeconds(60);

        private Builder(URI uri) {
            Objects.requireNonNull(uri, "streamUri");
            String scheme = uri.getScheme();
            if (!uri.isAbsolute() || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
                throw new IllegalArgumentException("streamUri must be an absolute http(s) URI, got " + uri);
            }
            this.uri = uri;
        }

        /**
         * Sets the Reactor Netty client to connect with (connection pool, TLS, proxy...). Default
         * {@link HttpClient#create()}.
         *
         * @param client the client
         * @return this builder
         */
        public Builder httpClient(HttpClient client) {
            this.http = Objects.requireNonNull(client, "httpClient");
            return this;
        }

        /**
         * Sets when to reconnect after a lost connection, a failed connection attempt, an idle timeout or a {@code 5xx}
         * answer. Default: forever, with exponential backoff from 100 ms to 5 s, the attempt count reset by every
         * batch received ({@code Retry.backoff(Long.MAX_VALUE, 100ms).maxBackoff(5s).transientErrors(true)}).
         *
         * @param retry the policy
         * @return this builder
         */
        public Builder reconnect(Retry retry) {
            this.reconnect = Objects.requireNonNull(retry, "reconnect");
            return this;
        }

        /**
         * Sets how long a connection may stay silent before it is considered dead and replaced, or {@code null} to
         * wait forever. The server sends a heartbeat comment every 15 seconds by default. Default 60 seconds.
         *
         * @param timeout positive, or {@code null}
         * @return this builder
         */
        public Builder idleTimeout(@Nullable Duration timeout) {
            if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
                throw new IllegalArgumentException("idleTimeout must be positive or null, got " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        /**
         * Builds the client.
         *
         * @return the client
         */
        public KvbmHttpEventClient build() {
            return new KvbmHttpEventClient(this);
        }
    }
}
