package io.kvbm.examples;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.manager.BlockManager;
import io.kvbm.router.KvIndexer;
import io.kvbm.router.OverlapScores;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import io.kvbm.transport.KvEventPublisher;
import io.kvbm.transport.KvIndexerFeed;
import io.kvbm.transport.nats.NatsEventPublisher;
import io.kvbm.transport.nats.NatsEventSubscriber;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import reactor.core.Disposable;

/**
 * Two workers and a KV-aware router over a real NATS server: each worker's {@link BlockManager} publishes its cache
 * events with a {@link KvEventPublisher}; the router's {@link KvIndexer} follows them through a {@link KvIndexerFeed}
 * and sends every request to the worker that already holds the longest prefix of it.
 *
 * <p>The request trace is generated: three shared system prompts of 4 blocks each, followed by a user turn of 1–3
 * blocks of fresh tokens, so requests that share a system prompt can reuse each other's cached prefix if (and only
 * if) they land on the same worker. Each worker has 24 blocks, so caches evict and the router sees removals too. For
 * each request the program prints the overlap score of each worker and where the request went; at the end it prints
 * the cache hit rate and whether the router's view of each worker equals the worker's own content (learned from an
 * {@code eventsWithSnapshot()} subscription), then closes the workers and shows that the router forgot them.
 *
 * <p>It needs {@code nats-server} (Debian package {@code nats-server}) and starts one on 127.0.0.1 with a free port;
 * without it, it explains and exits with status 2. Run it with
 * {@code mvn -B -q -pl examples -am -DskipTests package exec:exec -Dexec.mainClass=io.kvbm.examples.RouterExample}.
 * It exits with status 1 if the router's view disagrees with a worker.
 */
public final class RouterExample {

    private static final int BLOCK_SIZE = 16;
    private static final int BLOCKS_PER_WORKER = 24;
    private static final long SALT = 7;
    private static final int REQUESTS = 24;
    /** Time between requests: several event windows (10 ms), so the router has seen the previous request's events. */
    private static final Duration ARRIVAL = Duration.ofMillis(50);

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final PrintStream out;

    private RouterExample(PrintStream out) {
        this.out = out;
    }

    /**
     * Runs the example on standard output.
     *
     * @param args ignored
     * @throws Exception if NATS cannot be reached or the program is interrupted
     */
    public static void main(String[] args) throws Exception {
        Optional<Path> binary = natsServerBinary();
        if (binary.isEmpty()) {
            System.err.println("RouterExample needs nats-server, which is not installed: apt-get install -y "
                    + "nats-server (the Debian package), then run it again.");
            System.exit(2);
        }
        boolean agree;
        try (LocalNats nats = LocalNats.start(binary.get())) {
            agree = new RouterExample(System.out).run(nats.url());
        }
        System.exit(agree ? 0 : 1);
    }

    private boolean run(String url) throws Exception {
        out.println("nats-server on " + url);
        Router router = new Router(url); // first, so that it hears the workers' initial snapshots
        List<Worker> workers = List.of(new Worker(1, url), new Worker(2, url));
        try {
            List<int[]> trace = trace(new SplittableRandom(2024));
            int hits = 0;
            int blocks = 0;
            out.println();
            out.println("req  prompt  blocks  overlap w1 w2  ->  worker  (cached + computed)");
            for (int i = 0; i < trace.size(); i++) {
                int[] tokens = trace.get(i);
                List<SequenceHash> hashes =
                        TokenBlockSequence.of(tokens, BLOCK_SIZE, SALT).sequenceHashes();
                OverlapScores scores = router.indexer.findMatches(hashes);
                Worker chosen = choose(workers, scores, router.indexer, i);
                int cached = chosen.serve(tokens);
                hits += cached;
                blocks += hashes.size();
                out.printf(
                        "%3d    %s    %5d   %9d %2d  ->  w%d      (%d + %d)%n",
                        i,
                        (char) ('A' + tokens[0] / 1000),
                        hashes.size(),
                        scores.score(1, StorageTier.G1),
                        scores.score(2, StorageTier.G1),
                        chosen.id(),
                        cached,
                        hashes.size() - cached);
                Thread.sleep(ARRIVAL.toMillis());
            }
            out.printf("%ncache hits: %d of %d blocks (%d%%)%n", hits, blocks, 100 * hits / blocks);

            boolean agree = true;
            for (Worker w : workers) {
                agree &= router.awaitAgreement(w);
            }
            out.println("router stats: " + router.indexer.stats());

            for (Worker w : workers) {
                w.manager.close().block(WAIT);
                w.pipeline.whenDone().block(WAIT);
            }
            router.awaitNoWorkers();
            out.println("after the workers closed (SHUTDOWN batches), the router knows workers "
                    + router.indexer.workers());
            return agree;
        } finally {
            for (Worker w : workers) {
                w.close();
            }
            router.close();
        }
    }

    /**
     * The worker with the best score; among equals (no overlap at all, say) the one the router sees holding fewer
     * hashes (a stand-in for load, known to the router without asking the workers), then round-robin.
     */
    private static Worker choose(List<Worker> workers, OverlapScores scores, KvIndexer indexer, int request) {
        Worker best = workers.get(request % workers.size());
        for (Worker w : workers) {
            int score = scores.score(w.id(), StorageTier.G1);
            int bestScore = scores.score(best.id(), StorageTier.G1);
            int held = indexer.hashes(w.id(), StorageTier.G1).size();
            int bestHeld = indexer.hashes(best.id(), StorageTier.G1).size();
            if (score > bestScore || (score == bestScore && held < bestHeld)) {
                best = w;
            }
        }
        return best;
    }

    /** Requests: one of three system prompts (4 blocks) and a user turn of 1–3 blocks of fresh tokens. */
    private static List<int[]> trace(SplittableRandom random) {
        List<int[]> requests = new ArrayList<>();
        int fresh = 100_000;
        for (int r = 0; r < REQUESTS; r++) {
            int prompt = random.nextInt(3);
            int userBlocks = random.nextInt(1, 4);
            int[] tokens = new int[(4 + userBlocks) * BLOCK_SIZE];
            for (int t = 0; t < 4 * BLOCK_SIZE; t++) {
                tokens[t] = prompt * 1000 + t; // the system prompt: the same tokens for every request using it
            }
            for (int t = 4 * BLOCK_SIZE; t < tokens.length; t++) {
                tokens[t] = fresh++;
            }
            requests.add(tokens);
        }
        return requests;
    }

    /** What a tier holds, from a fresh eventsWithSnapshot() subscription: the manager's own account. */
    private static Set<SequenceHash> content(BlockManager manager) {
        List<EventBatch> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
        Disposable subscription = manager.eventsWithSnapshot().subscribe(batches::add);
        // the snapshot is attached in the manager's drain loop; an operation queued after it completes once it was
        // delivered
        manager.scan(List.of()).block(WAIT);
        subscription.dispose();
        Set<SequenceHash> held = new HashSet<>();
        for (EventBatch batch : batches) {
            if (batch.startsSnapshot()) {
                held.clear();
            } else if (batch.kind() == EventKind.STORED) {
                held.addAll(batch.hashes());
            } else if (batch.kind().removes()) {
                held.removeAll(batch.hashes());
            }
        }
        return held;
    }

    /** A worker: a manager whose events go to NATS, answering resync requests, on its own connection. */
    private static final class Worker implements AutoCloseable {
        final BlockManager manager;
        final Connection connection;
        final NatsEventPublisher publisher;
        final NatsEventSubscriber subscriber;
        final KvEventPublisher pipeline;

        Worker(long id, String url) throws IOException, InterruptedException {
            this.manager = BlockManager.builder()
                    .blockCount(BLOCKS_PER_WORKER)
                    .blockSize(BLOCK_SIZE)
                    .instanceId(id)
                    .build();
            this.connection = connect(url);
            this.publisher = NatsEventPublisher.create(connection);
            this.subscriber = NatsEventSubscriber.create(connection);
            this.pipeline = KvEventPublisher.builder()
                    .manager(manager)
                    .publisher(publisher)
                    .resyncSubscriber(subscriber)
                    .start();
        }

        long id() {
            return manager.instanceId();
        }

        /** Serves a request: reuses its cached prefix, computes and registers the rest, releases everything. */
        int serve(int[] tokens) {
            List<TokenBlock> blocks =
                    TokenBlockSequence.of(tokens, BLOCK_SIZE, SALT).blocks();
            List<SequenceHash> hashes = new ArrayList<>();
            blocks.forEach(b -> hashes.add(b.sequenceHash()));
            List<ImmutableBlock> held =
                    new ArrayList<>(manager.match(hashes).collectList().block(WAIT));
            int cached = held.size();
            List<MutableBlock> fresh = manager.allocate(blocks.size() - cached).block(WAIT);
            List<CompleteBlock> computed = new ArrayList<>();
            for (int i = 0; i < fresh.size(); i++) {
                computed.add(fresh.get(i).complete(blocks.get(cached + i))); // "prefill" of the uncached blocks
            }
            held.addAll(manager.registerAll(computed).block(WAIT));
            held.forEach(ImmutableBlock::close); // the request is done: its blocks stay cached
            return cached;
        }

        @Override
        public void close() throws InterruptedException {
            pipeline.dispose();
            publisher.close().block(WAIT);
            subscriber.close();
            connection.close();
            manager.close().block(WAIT);
        }
    }

    /** The router: a KvIndexer fed from NATS, sending resync requests back, on its own connection. */
    private final class Router implements AutoCloseable {
        final KvIndexer indexer = KvIndexer.create();
        final Connection connection;
        final NatsEventPublisher publisher;
        final NatsEventSubscriber subscriber;
        final KvIndexerFeed feed;

        Router(String url) throws IOException, InterruptedException {
            this.connection = connect(url);
            this.publisher = NatsEventPublisher.create(connection);
            this.subscriber = NatsEventSubscriber.create(connection);
            this.feed = KvIndexerFeed.builder()
                    .indexer(indexer)
                    .subscriber(subscriber)
                    .publisher(publisher)
                    .start();
        }

        /** Waits until the view of {@code w} equals its content, then prints both. */
        boolean awaitAgreement(Worker w) throws InterruptedException {
            Set<SequenceHash> truth = content(w.manager);
            long deadline = System.nanoTime() + WAIT.toNanos();
            Set<SequenceHash> view = indexer.hashes(w.id(), StorageTier.G1);
            while (!view.equals(truth) && System.nanoTime() < deadline) {
                Thread.sleep(10);
                view = indexer.hashes(w.id(), StorageTier.G1);
            }
            boolean agree = view.equals(truth);
            out.printf(
                    "worker %d: manager holds %d hashes, router sees %d, agree: %s%n",
                    w.id(), truth.size(), view.size(), agree ? "yes" : "NO");
            return agree;
        }

        void awaitNoWorkers() throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!indexer.workers().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }

        @Override
        public void close() throws InterruptedException {
            feed.dispose();
            indexer.dispose();
            publisher.close().block(WAIT);
            subscriber.close();
            connection.close();
        }
    }

    private static Connection connect(String url) throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder()
                .server(url)
                .maxReconnects(-1)
                .connectionTimeout(Duration.ofSeconds(5))
                .build());
    }

    private static Optional<Path> natsServerBinary() {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(List.of("/usr/sbin", "/usr/local/bin", "/usr/bin"));
        return dirs.stream()
                .filter(d -> !d.isEmpty())
                .map(d -> Paths.get(d, "nats-server"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** A nats-server child process on 127.0.0.1, stopped by its process id on close (and at JVM exit). */
    private static final class LocalNats implements AutoCloseable {
        private final Process process;
        private final Path directory;
        private final int port;
        private final Thread reaper;

        private LocalNats(Process process, Path directory, int port) {
            this.process = process;
            this.directory = directory;
            this.port = port;
            this.reaper = new Thread(process::destroyForcibly);
            Runtime.getRuntime().addShutdownHook(reaper);
        }

        static LocalNats start(Path binary) throws IOException, InterruptedException {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Path directory = Files.createTempDirectory("kvbm-router-example-");
            Process process = new ProcessBuilder(
                            binary.toString(),
                            "-a",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(port),
                            "-sd",
                            directory.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(directory.resolve("nats-server.log").toFile())
                    .start();
            LocalNats nats = new LocalNats(process, directory, port);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!accepts(port)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    nats.close();
                    throw new IOException("nats-server did not start on port " + port);
                }
                Thread.sleep(20);
            }
            return nats;
        }

        String url() {
            return "nats://127.0.0.1:" + port;
        }

        private static boolean accepts(int port) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            Runtime.getRuntime().removeShutdownHook(reaper);
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // a leftover temp directory is harmless
            }
        }
    }
}
