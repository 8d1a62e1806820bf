package io.kvbm.transport.http;

import io.kvbm.event.EventBatch;
import io.kvbm.manager.BlockManager;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A small Reactor Netty HTTP/1.1 server for a worker's block managers: {@code /events/{name}} streams a manager's
 * {@link EventBatch}es as Server-Sent Events, and {@code /metrics} serves a Prometheus scrape.
 *
 * <pre>{@code
 * KvbmHttpServer server = KvbmHttpServer.builder()
 *     .host("127.0.0.1").port(9400)      // defaults: 127.0.0.1, an ephemeral port
 *     .events(g1)                        // GET /events/G1 (and /events, while it is the only stream)
 *     .metrics(prometheusRegistry)       // GET /metrics
 *     .build();
 * server.start().block();                // or compose the Mono
 * ...
 * server.close().block();
 * }</pre>
 *
 * <h2>{@code GET /events/{name}}</h2>
 *
 * One SSE stream per manager (named by {@link Builder#events(String, BlockManager)}; {@code /events} alone serves the
 * only stream when there is exactly one). Each batch is one SSE event {@code batch} whose {@code data} is the base64
 * of its {@link io.kvbm.event.EventCodec} MessagePack form and whose {@code id} is its {@code seq}. A client that
 * reconnects with {@code Last-Event-ID: s} receives the batches after {@code s} from a replay ring of the last
 * {@link Builder#replayBatches(int) replayBatches} batches, then the live ones, with no gap and no duplicate; a client
 * without {@code Last-Event-ID}, or whose {@code s} is no longer (or not) in the ring, first receives a snapshot of
 * what the tier holds (a hash-less {@code CLEARED} batch and {@code STORED} batches, as
 * {@link BlockManager#eventsWithSnapshot()}), then the live batches. The last frame of a snapshot carries its
 * {@code id}; the others carry none, so a client cut off in the middle of a snapshot starts over. The response also
 * carries a {@value #EPOCH_HEADER} header naming this stream's incarnation: a client that sends it back is only
 * resumed by the same incarnation (a restarted worker numbers its batches from 0 again), which
 * {@link KvbmHttpEventClient} does. {@code docs/events.md} documents the framing.
 *
 * <p>A client that falls {@link Builder#clientBufferSize(int) clientBufferSize} events behind is disconnected (and may
 * reconnect and resume); the manager never waits for a client. When the manager closes, its stream ends with the
 * {@code SHUTDOWN} batch; later requests get that batch alone (or {@code 410 Gone} if the manager was closed before
 * the server started). Errors: {@code 404} for an unknown stream name, {@code 400} for a {@code Last-Event-ID} that is
 * not an integer {@code >= -1}.
 *
 * <h2>{@code GET /metrics}</h2>
 *
 * The {@link PrometheusMeterRegistry}'s scrape, in OpenMetrics 1.0.0 when the {@code Accept} header lists
 * {@code application/openmetrics-text} and in the Prometheus text format 0.0.4 otherwise. The scrape runs on
 * {@link Builder#scrapeScheduler(Scheduler)} ({@link Schedulers#boundedElastic()} by default), never on the Netty
 * event loop: formatting a large registry is CPU work that would stall the event streams served by the same loop.
 *
 * <h2>Threading</h2>
 *
 * Nothing blocks: binding, serving and closing are {@link Mono}s; requests are served on Reactor Netty's event loops,
 * and each manager's events reach the clients through one subscription per stream (see {@code EventFeed}).
 */
public final class KvbmHttpServer {

    /**
     * The response header naming the incarnation of an event stream, and the request header a client sends it back
     * in: {@code Last-Event-ID} is honoured only if it matches (or is absent).
     */
    public static final String EPOCH_HEADER = "Kvbm-Epoch";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private static final int NEW = 0;
    private static final int STARTING = 1;
    private static final int STARTED = 2;
    private static final int CLOSED = 3;

    private static final AtomicIntegerFieldUpdater<KvbmHttpServer> STATE =
            AtomicIntegerFieldUpdater.newUpdater(KvbmHttpServer.class, "state");

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    private final String host;
    private final int requestedPort;
    private final Map<String, EventFeed> feeds;
    private final List<String> names;
    private final @Nullable MetricsEndpoint metrics;
    private final @Nullable Duration heartbeat;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

    private volatile int state;
    private volatile @Nullable DisposableServer server;

    private KvbmHttpServer(Builder builder) {
        this.host = builder.host;
        this.requestedPort = builder.port;
        this.metrics = builder.metrics;
        this.heartbeat = builder.heartbeat;
        Map<String, EventFeed> byName = new LinkedHashMap<>();
        builder.managers.forEach((name, manager) -> byName.put(
                name,
                new EventFeed(
                        name, manager, builder.replayBatches, builder.snapshotBatchSize, builder.clientBufferSize)));
        this.feeds = Map.copyOf(byName);
        this.names = List.copyOf(byName.keySet());
    }

    /**
     * Starts the server.
     *
     * <p>Subscribing subscribes every event stream to its manager and binds the listening socket; the {@link Mono}
     * emits this server once it accepts connections. A server starts once: a second subscription (or one after
     * {@link #close()}) fails with {@link IllegalStateException}; if binding fails (the port is taken) the error is
     * signalled and the server is closed.
     *
     * @return a lazy {@link Mono} of this server, started
     */
    public Mono<KvbmHttpServer> start() {
        return Mono.defer(() -> {
            if (!STATE.compareAndSet(this, NEW, STARTING)) {
                return Mono.error(new IllegalStateException(
                        "the server can be started once, and " + (state == CLOSED ? "is closed" : "already started")));
            }
            feeds.values().forEach(EventFeed::start);
            return HttpServer.create()
                    .host(host)
                    .port(requestedPort)
                    .channelGroup(connections)
                    .route(routes -> {
                        routes.get("/events", (req, res) -> serveEvents(req, res, null));
                        routes.get("/events/{name}", (req, res) -> serveEvents(req, res, req.param("name")));
                        if (metrics != null) {
                            routes.get("/metrics", (req, res) -> serveMetrics(req, res, metrics));
                        }
                    })
                    .bind()
                    .map(bound -> {
                        server = bound;
                        if (!STATE.compareAndSet(this, STARTING, STARTED)) {
                            bound.dispose(); // closed while binding
                            throw new IllegalStateException("the server was closed while starting");
                        }
                        return this;
                    })
                    .onErrorResume(e -> close().then(Mono.error(e)));
        });
    }

    /**
     * Returns the port the server listens on: the one configured, or the ephemeral port chosen for port 0.
     *
     * @return the port
     * @throws IllegalStateException if the server has not started
     */
    public int port() {
        return bound().port();
    }

    /**
     * Returns the host the server binds to.
     *
     * @return the configured host
     */
    public String host() {
        return host;
    }

    /**
     * Returns the base URI of the server, {@code http://host:port}.
     *
     * @return the URI
     * @throws IllegalStateException if the server has not started
     */
    public URI uri() {
        return URI.create("http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port());
    }

    /**
     * Returns the names of the event streams, in registration order.
     *
     * @return the names, each served at {@code /events/{name}}
     */
    public List<String> eventStreams() {
        return names;
    }

    /**
     * Stops the server.
     *
     * <p>Subscribing ends every event stream (clients see their stream end without a {@code SHUTDOWN} batch, so they
     * reconnect, to this server once it is started again elsewhere or to another), closes every open connection and
     * the listening socket, and completes once the socket is released. The managers are not affected. Idempotent, like
     * {@link reactor.core.Disposable#dispose()}: closing a closed server completes at once; closing a server that
     * never started only marks it closed.
     *
     * @return a lazy {@link Mono} that completes once the server is stopped
     */
    public Mono<Void> close() {
        return Mono.defer(() -> {
            int previous = STATE.getAndSet(this, CLOSED);
            if (previous == CLOSED) {
                return Mono.empty();
            }
            feeds.values().forEach(EventFeed::close);
            DisposableServer bound = server;
            connections.close(); // asynchronous: the open SSE responses end now, not when their clients leave
            if (bound == null) {
                return Mono.empty();
            }
            bound.dispose();
            return bound.onDispose();
        });
    }

    /** Closes every open connection without ending the streams: clients reconnect and resume (tests only). */
    void disconnectClients() {
        connections.close();
    }

    /** The feed of a stream (tests only). */
    @Nullable
    EventFeed feed(String name) {
        return feeds.get(name);
    }

    private DisposableServer bound() {
        DisposableServer s = server;
        if (s == null) {
            throw new IllegalStateException("the server has not started: subscribe to start() first");
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------------------
    // handlers

    private Publisher<Void> serveEvents(HttpServerRequest req, HttpServerResponse res, @Nullable String name) {
        if (state == CLOSED) {
            return text(res, HttpResponseStatus.SERVICE_UNAVAILABLE, "the server is closing");
        }
        EventFeed feed;
        if (name == null) {
            if (feeds.size() != 1) {
                return text(
                        res,
                        HttpResponseStatus.NOT_FOUND,
                        "/events serves the only event stream, but this server has " + feeds.size()
                                + ": use /events/{name} with a name in " + names);
            }
            feed = feeds.values().iterator().next();
        } else {
            feed = feeds.get(name);
            if (feed == null) {
                return text(
                        res, HttpResponseStatus.NOT_FOUND, "no event stream named '" + name + "'; streams: " + names);
            }
        }
        long lastEventId;
        try {
            lastEventId = parseLastEventId(req.requestHeaders().get("Last-Event-ID"));
        } catch (IllegalArgumentException e) {
            return text(res, HttpResponseStatus.BAD_REQUEST, e.getMessage());
        }
        String clientEpoch = req.requestHeaders().get(EPOCH_HEADER);
        if (clientEpoch != null && !clientEpoch.equals(feed.epoch)) {
            lastEventId = EventFeed.NO_ID; // another incarnation's seq means nothing here: start with a snapshot
        }
        Throwable failure = feed.failure();
        if (failure != null) {
            return text(
                    res,
                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "the event stream '" + feed.name + "' failed: " + failure);
        }
        if (feed.isGone()) {
            return text(
                    res,
                    HttpResponseStatus.GONE,
                    "the event stream '" + feed.name + "' has ended: its manager was closed before the server started");
        }
        Flux<String> frames = feed.frames(lastEventId).map(ServerSentEvents::encode);
        Duration beat = heartbeat;
        if (beat != null) {
            // Comments keep idle connections (and the proxies on their way) alive and let clients notice a dead one.
            // A small prefetch: Netty already queues up to 128 frames ahead of a slow socket.
            frames = frames.publish(
                    shared -> Flux.merge(
                            shared, Flux.interval(beat, beat).map(i -> ":\n\n").takeUntilOther(shared.then())),
                    16);
        }
        // retry: the reconnection delay for browsers; sending it at once also sends the headers of a quiet stream.
        Flux<String> body = Flux.concat(Mono.just("retry: 1000\n\n"), frames);
        return res.sse()
                .header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
                .header(EPOCH_HEADER, feed.epoch)
                .send(body.map(s -> ByteBufUtil.writeUtf8(res.alloc(), s)), b -> true);
    }

    /**
     * Parses {@code Last-Event-ID}: absent or empty means none; otherwise a batch {@code seq}, an integer {@code >= -1}
     * ({@code -1} is the id of a snapshot taken before the first batch).
     */
    static long parseLastEventId(@Nullable String header) {
        if (header == null || header.isBlank()) {
            return EventFeed.NO_ID;
        }
        String value = header.trim();
        try {
            long seq = Long.parseLong(value);
            if (seq >= -1) {
                return seq;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        String shown = value.length() > 40 ? value.substring(0, 40) + "..." : value;
        throw new IllegalArgumentException(
                "Last-Event-ID must be the seq of a batch, an integer >= -1, got '" + shown + "'");
    }

    private static Publisher<Void> serveMetrics(
            HttpServerRequest req, HttpServerResponse res, MetricsEndpoint metrics) {
        String contentType = MetricsEndpoint.contentType(req.requestHeaders().get(HttpHeaderNames.ACCEPT));
        return res.header(HttpHeaderNames.CONTENT_TYPE, contentType).sendString(metrics.scrape(contentType));
    }

    private static Publisher<Void> text(HttpServerResponse res, HttpResponseStatus status, String message) {
        return res.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .sendString(Mono.just(message + "\n"));
    }

    @Override
    public String toString() {
        DisposableServer s = server;
        return "KvbmHttpServer[" + host + ":" + (s == null ? requestedPort : s.port()) + ", events=" + names
                + (metrics != null ? ", metrics" : "") + (state == CLOSED ? ", closed]" : "]");
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Configures a {@link KvbmHttpServer}. Setters validate their argument and document their default. */
    public static final class Builder {

        private String host = "127.0.0.1";
        private int port;
        private final Map<String, BlockManager> managers = new LinkedHashMap<>();
        private @Nullable MetricsEndpoint metrics;
        private @Nullable Scheduler scrapeScheduler;
        private @Nullable PrometheusMeterRegistry metricsRegistry;
        private int replayBatches = 1024;
        private int snapshotBatchSize = 1024;
        private int clientBufferSize = 8192;
        private @Nullable Duration heartbeat = Duration.ofSeconds(15);

        private Builder() {}

        /**
         * Sets the address to bind. Default {@code 127.0.0.1}: only local clients; bind {@code 0.0.0.0} to serve
         * other hosts (behind whatever protects the port — the server has no authentication).
         *
         * @param host a host name or IP address
         * @return this builder
         */
        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            this.host = host;
            return this;
        }

        /**
         * Sets the port. Default 0: an ephemeral port chosen when binding ({@link #port()} tells which).
         *
         * @param port in {@code [0, 65535]}
         * @return this builder
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Serves {@code manager}'s events at {@code /events/{name}}.
         *
         * @param name the stream name: 1 to 64 letters, digits, {@code .}, {@code _} or {@code -}
         * @param manager the manager
         * @return this builder
         * @throws IllegalArgumentException if the name is malformed or already used
         */
        public Builder events(String name, BlockManager manager) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(manager, "manager");
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(
                        "event stream name must be 1 to 64 of [A-Za-z0-9._-], got '" + name + "'");
            }
            if (managers.containsKey(name)) {
                throw new IllegalArgumentException("event stream name '" + name + "' is already used");
            }
            managers.put(name, manager);
            return this;
        }

        /**
         * Serves {@code manager}'s events at {@code /events/{tier}} ({@code /events/G1}...).
         *
         * @param manager the manager
         * @return this builder
         * @throws IllegalArgumentException if a stream of that name is already served
         */
        public Builder events(BlockManager manager) {
            return events(Objects.requireNonNull(manager, "manager").tier().name(), manager);
        }

        /**
         * Serves {@code /metrics} from {@code registry}. Default: no {@code /metrics} (404). Bind managers to the same
         * registry with {@code io.kvbm.metrics.KvbmMetrics}.
         *
         * @param registry the registry to scrape
         * @return this builder
         */
        public Builder metrics(PrometheusMeterRegistry registry) {
            this.metricsRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Sets the scheduler scrapes run on. Default {@link Schedulers#boundedElastic()}.
         *
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scrapeScheduler(Scheduler scheduler) {
            this.scrapeScheduler = Objects.requireNonNull(scheduler, "scrapeScheduler");
            return this;
        }

        /**
         * Sets how many of the latest batches each stream keeps for clients that resume with {@code Last-Event-ID}.
         * Default 1024; a client further behind gets a snapshot.
         *
         * @param batches at least 1
         * @return this builder
         */
        public Builder replayBatches(int batches) {
            if (batches < 1) {
                throw new IllegalArgumentException("replayBatches must be positive, got " + batches);
            }
            this.replayBatches = batches;
            return this;
        }

        /**
         * Sets the largest {@code STORED} batch of a snapshot, in hashes. Default 1024.
         *
         * @param hashes at least 1
         * @return this builder
         */
        public Builder snapshotBatchSize(int hashes) {
            if (hashes < 1) {
                throw new IllegalArgumentException("snapshotBatchSize must be positive, got " + hashes);
            }
            this.snapshotBatchSize = hashes;
            return this;
        }

        /**
         * Sets each client's buffer of live events (hashes); a client further behind is disconnected. The snapshot or
         * replay a client receives on connecting does not count. Default 8192.
         *
         * @param events at least 1
         * @return this builder
         */
        public Builder clientBufferSize(int events) {
            if (events < 1) {
                throw new IllegalArgumentException("clientBufferSize must be positive, got " + events);
            }
            this.clientBufferSize = events;
            return this;
        }

        /**
         * Sets the interval of the SSE comment lines sent on every event stream, or {@code null} for none. Default 15
         * seconds, well inside {@link KvbmHttpEventClient}'s default idle timeout.
         *
         * @param interval positive, or {@code null}
         * @return this builder
         */
        public Builder heartbeat(@Nullable Duration interval) {
            if (interval != null && (interval.isNegative() || interval.isZero())) {
                throw new IllegalArgumentException("heartbeat must be positive or null, got " + interval);
            }
            this.heartbeat = interval;
            return this;
        }

        /**
         * Builds the server, not started.
         *
         * @return the server
         * @throws IllegalStateException if neither an event stream nor metrics were configured
         */
        public KvbmHttpServer build() {
            if (managers.isEmpty() && metricsRegistry == null) {
                throw new IllegalStateException("nothing to serve: configure events(...) or metrics(...)");
            }
            PrometheusMeterRegistry registry = metricsRegistry;
            metrics = registry == null
                    ? null
                    : new MetricsEndpoint(
                            registry, scrapeScheduler == null ? Schedulers.boundedElastic() : scrapeScheduler);
            return new KvbmHttpServer(this);
        }
    }
}
