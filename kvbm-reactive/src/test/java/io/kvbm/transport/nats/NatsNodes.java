package io.kvbm.transport.nats;

import io.kvbm.manager.BlockManager;
import io.kvbm.router.KvIndexer;
import io.kvbm.testing.NatsServer;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.transport.EventSubjects;
import io.kvbm.transport.KvEventPublisher;
import io.kvbm.transport.KvIndexerFeed;
import io.nats.client.Connection;
import io.nats.client.Options;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The two kinds of nodes of the NATS integration tests, each with its own connection: a worker (a manager and its
 * {@link KvEventPublisher}) and a router (a {@link KvIndexer} and its {@link KvIndexerFeed}). Built and closed on the
 * test thread (connecting and closing wait).
 */
final class NatsNodes {

    private NatsNodes() {}

    /** A worker: manager → KvEventPublisher → NATS, listening for resync requests on its own connection. */
    static final class Worker implements AutoCloseable {
        final BlockManager manager;
        final Connection connection;
        final NatsEventPublisher publisher;
        final NatsEventSubscriber subscriber;
        final KvEventPublisher pipeline;

        Worker(NatsServer server, long instanceId, int blocks, Consumer<Options.Builder> options) {
            this.manager =
                    TestManagers.create(blocks, b -> b.instanceId(instanceId).eventBatching(16, Duration.ofMillis(5)));
            this.connection = server.connect(options);
            this.publisher = NatsEventPublisher.create(connection);
            this.subscriber = NatsEventSubscriber.create(connection);
            this.pipeline = KvEventPublisher.builder()
                    .manager(manager)
                    .publisher(publisher)
                    .resyncSubscriber(subscriber)
                    .start();
            server.awaitSubscriptions(EventSubjects.resync(null, instanceId), 1);
        }

        long id() {
            return manager.instanceId();
        }

        @Override
        public void close() throws InterruptedException {
            pipeline.dispose();
            publisher.close().block(TestBlocks.TIMEOUT);
            subscriber.close();
            connection.close();
        }
    }

    /** A router: NATS → KvIndexerFeed → KvIndexer, sending resync requests on its own connection. */
    static final class Router implements AutoCloseable {
        final KvIndexer indexer;
        final Connection connection;
        final NatsEventPublisher publisher;
        final NatsEventSubscriber subscriber;
        final KvIndexerFeed feed;

        Router(NatsServer server, Duration retry) {
            this.indexer = KvIndexer.builder().resyncRetryInterval(retry).build();
            this.connection = server.connect();
            this.publisher = NatsEventPublisher.create(connection);
            this.subscriber = NatsEventSubscriber.create(connection);
            this.feed = KvIndexerFeed.builder()
                    .indexer(indexer)
                    .subscriber(subscriber)
                    .publisher(publisher)
                    .start();
            server.awaitSubscriptions(EventSubjects.EVENTS, 1);
        }

        @Override
        public void close() throws InterruptedException {
            feed.dispose();
            indexer.dispose();
            publisher.close().block(TestBlocks.TIMEOUT);
            subscriber.close();
            connection.close();
        }
    }
}
