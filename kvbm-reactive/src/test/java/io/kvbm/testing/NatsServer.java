package io.kvbm.testing;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A real {@code nats-server} child process on 127.0.0.1 for integration tests (Debian package {@code nats-server};
 * {@code .ci/run} installs it).
 *
 * <p>{@link #start()} picks a free ephemeral client port and a monitoring port, starts
 * {@code nats-server -a 127.0.0.1 -p <port> -m <monitor> -sd <temp dir>} and waits until the client port accepts
 * connections. {@link #kill()} ends the process with SIGKILL (clients get no goodbye, as in a crash) and
 * {@link #restart()} starts a new one on the same ports. {@link #close()} stops it by its process id (SIGTERM, then
 * SIGKILL) and deletes its directory; a JVM shutdown hook does the same for a test that dies half-way, so no server
 * outlives the test JVM.
 *
 * <p>Every method waits (for the process, for ports, for HTTP) and MUST be called from the test thread, never from a
 * {@code parallel()} thread: BlockHound would reject the waits there.
 */
public final class NatsServer implements AutoCloseable {

    /** How long a start may take on a loaded CI machine (it takes well under 1.5 s idle). */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private static final List<String> SEARCH_DIRS =
            List.of("/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin");

    /** The executable: {@code nats-server} on the PATH or in the usual system directories. */
    public static Optional<Path> binary() {
        List<String> dirs = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(java.io.File.pathSeparator)));
        }
        dirs.addAll(SEARCH_DIRS);
        return dirs.stream()
                .filter(d -> !d.isEmpty())
                .map(d -> Paths.get(d, "nats-server"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Starts a server on free ports; fails if none can be started. */
    public static NatsServer start() {
        Path binary = binary().orElseThrow(() -> new IllegalStateException("nats-server is not installed"));
        NatsServer server = new NatsServer(binary, freePort(), freePort());
        server.restart();
        return server;
    }

    private final Path binary;
    private final int port;
    private final int monitorPort;
    private final Path directory;
    private final Thread reaper;
    private @Nullable Process process;
    private int starts;

    private NatsServer(Path binary, int port, int monitorPort) {
        this.binary = binary;
        this.port = port;
        this.monitorPort = monitorPort;
        try {
            this.directory = Files.createTempDirectory("kvbm-nats-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.reaper = new Thread(this::destroyNow, "kvbm-nats-server-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** The client URL, {@code nats://127.0.0.1:<port>}. */
    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** The client port; the same across restarts. */
    public int port() {
        return port;
    }

    /** The process id of the running server. */
    public long pid() {
        return running().pid();
    }

    /** Whether a server process is running. */
    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /**
     * Starts the server (again) on the same ports and waits until its client port accepts connections. The
     * process's output goes to a log file in its directory, shown when it fails to start.
     */
    public void restart() {
        if (isRunning()) {
            throw new IllegalStateException("nats-server is already running, pid " + pid());
        }
        Path log = directory.resolve("server-" + (++starts) + ".log");
        ProcessBuilder builder = new ProcessBuilder(
                        binary.toString(),
                        "-a",
                        "127.0.0.1",
                        "-p",
                        Integer.toString(port),
                        "-m",
                        Integer.toString(monitorPort),
                        "-sd",
                        directory.resolve("store").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + binary, e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!accepts(port)) {
            if (!running().isAlive() || System.nanoTime() > deadline) {
                String output = readQuietly(log);
                destroyNow();
                throw new IllegalStateException("nats-server did not start on port " + port + ":\n" + output);
            }
            pause(20);
        }
    }

    /** Ends the server with SIGKILL, as a crash would, and waits until the process is gone. */
    public void kill() {
        Process p = running();
        p.destroyForcibly();
        waitFor(p, Duration.ofSeconds(10));
        process = null;
    }

    /** Stops the server: SIGTERM, then SIGKILL if it has not exited within 5 s. Idempotent. */
    public void stop() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroy();
        if (!waitFor(p, Duration.ofSeconds(5))) {
            p.destroyForcibly();
            waitFor(p, Duration.ofSeconds(10));
        }
        process = null;
    }

    /** Stops the server and deletes its directory. */
    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is harmless
        }
    }

    /**
     * Connects a jnats client that reconnects forever, quickly (every 50 ms), so that tests see a restarted server
     * at once; {@code options} may change anything else.
     */
    public Connection connect(Consumer<Options.Builder> options) {
        Options.Builder builder = new Options.Builder()
                .server(url())
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(50))
                // not zero: jnats 2.26.2 draws the jitter with nextLong(jitter), which throws on 0 and silently ends
                // the reconnect attempts
                .reconnectJitter(Duration.ofMillis(10))
                .connectionTimeout(Duration.ofSeconds(5));
        options.accept(builder);
        try {
            return Nats.connect(builder.build());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Connects a jnats client with the defaults of {@link #connect(Consumer)}. */
    public Connection connect() {
        return connect(o -> {});
    }

    /** How many client subscriptions on exactly {@code subject} the server has registered (monitoring endpoint). */
    public int subscriptions(String subject) {
        String body = get("/connz?subs=1");
        String quoted = "\"" + subject + "\"";
        int count = 0;
        for (int at = body.indexOf(quoted); at >= 0; at = body.indexOf(quoted, at + 1)) {
            count++;
        }
        return count;
    }

    /**
     * Waits until the server has registered at least {@code count} subscriptions on {@code subject}, so that a
     * message published now reaches them (subscribing is asynchronous in NATS).
     */
    public void awaitSubscriptions(String subject, int count) {
        Await.until(
                "nats-server has " + count + " subscription(s) on " + subject, () -> subscriptions(subject) >= count);
    }

    @Override
    public String toString() {
        Process p = process;
        return "NatsServer[" + url() + (p == null ? ", stopped" : ", pid " + p.pid()) + "]";
    }

    private Process running() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("nats-server is not running");
        }
        return p;
    }

    private void destroyNow() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
        }
    }

    private String get(String path) {
        try {
            HttpURLConnection http =
                    (HttpURLConnection) new URL("http://127.0.0.1:" + monitorPort + path).openConnection();
            http.setConnectTimeout(2000);
            http.setReadTimeout(5000);
            try (InputStream in = http.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                http.disconnect();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("nats-server monitoring " + path, e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }
}
