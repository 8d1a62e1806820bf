package io.kvbm;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.StorageTier;
import io.kvbm.event.EmissionPolicy;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventBatcher;
import io.kvbm.event.EventCodec;
import io.kvbm.event.EventKind;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.frequency.FrequencySketch;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.manager.BlockManager;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.request.RequestSequence;
import io.kvbm.request.SchedulableSequence;
import io.kvbm.request.SequenceDelegate;
import io.kvbm.router.KvIndexer;
import io.kvbm.sequence.BlockSequence;
import io.kvbm.sequence.ExternalBlockAssignments;
import io.kvbm.sequence.IndexRange;
import io.kvbm.sequence.LogicalBlockAssignments;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import io.kvbm.tokens.TokenBlockSequence;
import io.kvbm.transport.InMemoryEventBus;
import io.kvbm.transport.KvEventPublisher;
import io.kvbm.transport.KvIndexerFeed;
import io.kvbm.transport.http.KvbmHttpEventClient;
import io.kvbm.transport.http.KvbmHttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The null half of the bad-input catalogue, swept by reflection (Guava's {@code NullPointerTester}, with jspecify):
 * every public method and constructor of every public type of the library ({@code io.kvbm.internal} excepted: not
 * API) is called once per parameter that is not {@code @Nullable}, with {@code null} there and a valid sample value in
 * every other position. Each call must throw {@link NullPointerException} <em>at the call</em> (not later through
 * {@code onError}, and not from deep inside: a JDK "helpful" message such as {@code Cannot invoke ...} means nobody
 * validated the argument), with a message that names the parameter. {@link io.kvbm.testing.BlockInvariantsExtension}
 * then checks the books of every manager involved, so a call refused half-way cannot leave a block behind.
 *
 * <p>New public API is covered as soon as it exists. A method is skipped only when the sweep cannot build a receiver
 * or a sample argument for it; {@link #coverage_everyPublicMethodSweptOrListedAsSkipped()} prints the skipped ones so
 * that the gap is visible, and bounds it. The value half of the catalogue (ranges, states, wrong manager, wrong tier,
 * malformed bytes) is {@code io.kvbm.manager.BadInputTest} and its siblings.
 */
class NullArgumentCatalogueTest {

    /** An explicit check's message: a parameter name, possibly indexed or qualified, maybe with an explanation. */
    private static final Pattern NAMES_A_PARAMETER = Pattern.compile("[a-zA-Z_][\\w.]*(\\[\\d+])?([ :,(].*)?");

    private static final Set<String> SKIPPED = new TreeSet<>();

    /**
     * Calls that do not validate {@code null} explicitly, each with the reason it is tolerated. The sweep fails if a
     * call outside this list deviates, and if a call in it stops deviating (remove it then). Reported in
     * docs/reliability.md for the owners of these types; none is in the manager's contract.
     */
    static final Map<String, String> TOLERATED = Map.ofEntries(
            // hot-path SPIs, called by the drain loop with non-null arguments only: the JDK's NPE is the check
            hotPath("eviction.InactiveIndex.allocate(int, IntConsumer) arg 1"),
            hotPath("eviction.InactiveIndex.findMatches(List, IntConsumer) arg 0"),
            hotPath("eviction.InactiveIndex.findMatches(List, IntConsumer) arg 1"),
            hotPath("eviction.InactiveIndex.has(SequenceHash) arg 0"),
            hotPath("eviction.InactiveIndex.insert(SequenceHash, int) arg 0"),
            hotPath("eviction.InactiveIndex.remove(SequenceHash) arg 0"),
            hotPath("eviction.InactiveIndex.scanMatches(List, IntConsumer) arg 0"),
            hotPath("eviction.InactiveIndex.scanMatches(List, IntConsumer) arg 1"),
            hotPath("eviction.InactiveIndex.take(SequenceHash, int) arg 0"),
            hotPath("frequency.FrequencySketch.spread(SequenceHash) arg 0"),
            hotPath("frequency.FrequencyTracker.count(SequenceHash) arg 0"),
            hotPath("frequency.FrequencyTracker.touch(SequenceHash) arg 0"),
            hotPath("frequency.FrequencyTracker.touchAll(List) arg 0"),
            hotPath("event.EmissionPolicy.shouldEmit(SequenceHash) arg 0"),
            hotPath("manager.MetricsRecorder.recordAllocationWait(long, WaitOutcome) arg 1"),
            hotPath("metrics.KvbmMetrics.recordAllocationWait(long, WaitOutcome) arg 1"),
            Map.entry(
                    "request.SequenceDelegate.onEvent(SequenceEvent) arg 0",
                    "callback SPI: the no-op delegate ignores its argument"),
            // Comparable: NPE by contract, from the field access
            Map.entry("tokens.SequenceHash.compareTo(SequenceHash) arg 0", "Comparable: NPE by contract"),
            // lenient queries: null matches nothing
            lenient("registry.RegistrationHandle.isFromRegistry(BlockRegistry) arg 0"),
            lenient("router.KvIndexer.hashes(long, StorageTier) arg 1"),
            lenient("router.KvIndexer.isSynced(long, StorageTier) arg 1"),
            lenient("router.KvIndexer.lastSeq(long, StorageTier) arg 1"),
            lenient("transport.InMemoryEventBus.subscriptions(String) arg 0"),
            lenient("router.OverlapScores.score(long, StorageTier) arg 1"),
            lenient("router.OverlapScores.scores(StorageTier) arg 0"),
            // value types and exception factories: the JDK's NPE
            Map.entry("sequence.IndexRange.intersect(IndexRange) arg 0", "value type: the JDK's NPE"),
            exception("sequence.LogicalBlockAssignmentException.duplicateAssignedBlockId(int, List) arg 1"),
            exception("sequence.LogicalBlockAssignmentException.duplicateBlockId(int, List) arg 1"),
            exception("sequence.LogicalBlockAssignmentException.sequenceHashMismatch(int, SequenceHash, SequenceHash,"
                    + " List) arg 3"),
            exception("transport.http.EventStreamDisconnectedException.<init>(String) arg 0"),
            exception("transport.http.HttpStatusException.<init>(int, String) arg 1"));

    private static final Set<String> DEVIATIONS = new TreeSet<>();
    private static final java.util.concurrent.atomic.AtomicInteger SWEPT =
            new java.util.concurrent.atomic.AtomicInteger();

    private static Map.Entry<String, String> hotPath(String call) {
        return Map.entry(call, "hot-path SPI called by the drain loop: the JDK's NPE is the check");
    }

    private static Map.Entry<String, String> lenient(String call) {
        return Map.entry(call, "lenient query: null matches nothing");
    }

    private static Map.Entry<String, String> exception(String call) {
        return Map.entry(call, "exception constructor or factory: the JDK's NPE, or a null message");
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (Class<?> type : publicTypes()) {
            for (Executable executable : executables(type)) {
                if (nullableCandidates(executable).isEmpty()) {
                    continue; // nothing to pass null to
                }
                if (!Modifier.isStatic(executable.getModifiers())
                        && executable instanceof Method
                        && !Samples.hasReceiver(type)) {
                    SKIPPED.add(signature(executable) + ": no receiver");
                    continue;
                }
                AnnotatedType[] params = executable.getAnnotatedParameterTypes();
                for (int i = 0; i < params.length; i++) {
                    if (params[i].getType() instanceof Class<?> c && c.isPrimitive()
                            || params[i].isAnnotationPresent(Nullable.class)) {
                        continue;
                    }
                    String missing = Samples.missing(executable, i);
                    if (missing != null) {
                        SKIPPED.add(signature(executable) + ": no sample " + missing);
                        continue;
                    }
                    cases.add(Arguments.of(Named.of(signature(executable) + " arg " + i, executable), i));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} = null")
    @MethodSource("cases")
    void nullArgument_throwsNpeAtTheCallNamingTheParameter(Executable executable, int index) throws Exception {
        String call = signature(executable) + " arg " + index;
        SWEPT.incrementAndGet();
        Object receiver = executable instanceof Method && !Modifier.isStatic(executable.getModifiers())
                ? Samples.receiver(executable.getDeclaringClass())
                : null;
        Type[] types = executable.getGenericParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            args[i] = i == index ? null : Samples.value(types[i]);
        }
        Throwable thrown = null;
        Object returned = null;
        try {
            if (executable instanceof Method method) {
                returned = method.invoke(receiver, args);
            } else {
                returned = ((Constructor<?>) executable).newInstance(args);
            }
        } catch (InvocationTargetException e) {
            thrown = e.getCause();
        } finally {
            Samples.closeQuietly(receiver);
        }
        Samples.closeQuietly(returned);

        boolean explicit = thrown instanceof NullPointerException
                && thrown.getMessage() != null
                && !thrown.getMessage().startsWith("Cannot ")
                && NAMES_A_PARAMETER.matcher(thrown.getMessage()).matches();
        if (TOLERATED.containsKey(call)) {
            DEVIATIONS.add(call);
            assertThat(explicit)
                    .as(
                            "%s is listed as tolerated (%s) but now validates null: remove it from TOLERATED",
                            call, TOLERATED.get(call))
                    .isFalse();
            return;
        }
        assertThat(thrown)
                .as("%s: null returned %s instead of throwing", call, returned)
                .isInstanceOf(NullPointerException.class);
        assertThat(thrown.getMessage())
                .as("%s: the message of an explicit check names the parameter", call)
                .isNotNull()
                .doesNotStartWith("Cannot ")
                .matches(NAMES_A_PARAMETER);
    }

    @Test
    void coverage_everyPublicMethodSweptOrListedAsSkipped() {
        long swept = cases().count();
        int methods =
                publicTypes().stream().mapToInt(t -> executables(t).size()).sum();
        long withReferences = publicTypes().stream()
                .flatMap(t -> executables(t).stream())
                .filter(e -> !nullableCandidates(e).isEmpty())
                .count();
        System.out.printf(
                "null catalogue: %d public types, %d public methods and constructors (%d taking a non-null reference),"
                        + " %d null cases; skipped:%n  %s%n",
                publicTypes().size(), methods, withReferences, swept, String.join("\n  ", SKIPPED));
        assertThat(swept).isGreaterThan(150);
        assertThat(SKIPPED).as("skipped methods").hasSizeLessThanOrEqualTo(5);
    }

    @AfterAll
    static void shutDownSamples() {
        Samples.shutDown();
    }

    @AfterAll
    static void everyToleratedCallStillDeviates() {
        if (SWEPT.get() == cases().count()) { // every case ran (not a filtered run)
            assertThat(DEVIATIONS)
                    .as("calls in TOLERATED that were swept")
                    .containsExactlyInAnyOrderElementsOf(TOLERATED.keySet());
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** The positions of the parameters that take a reference and are not {@code @Nullable}. */
    static List<Integer> nullableCandidates(Executable e) {
        List<Integer> positions = new ArrayList<>();
        AnnotatedType[] params = e.getAnnotatedParameterTypes();
        for (int i = 0; i < params.length; i++) {
            if (!(params[i].getType() instanceof Class<?> c && c.isPrimitive())
                    && !params[i].isAnnotationPresent(Nullable.class)) {
                positions.add(i);
            }
        }
        return positions;
    }

    static String signature(Executable e) {
        String params = Arrays.stream(e.getParameterTypes())
                .map(Class::getSimpleName)
                .reduce((a, b) -> a + ", " + b)
                .orElse("");
        String owner = e.getDeclaringClass().getName().replace("io.kvbm.", "");
        return owner + (e instanceof Constructor ? ".<init>" : "." + e.getName()) + "(" + params + ")";
    }

    /** The public top-level and nested types of the library, outside {@code io.kvbm.internal}. */
    static List<Class<?>> publicTypes() {
        Path root;
        try {
            root = Path.of(BlockManager.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<Class<?>> types = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root.resolve("io/kvbm"))) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String name = root.relativize(file).toString().replace('/', '.').replace(".class", "");
                if (name.startsWith("io.kvbm.internal.") || name.endsWith("package-info")) {
                    continue;
                }
                Class<?> type = Class.forName(name, false, BlockManager.class.getClassLoader());
                if (isPublicApi(type)) {
                    types.add(type);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        types.sort(Comparator.comparing(Class::getName));
        return types;
    }

    private static boolean isPublicApi(Class<?> type) {
        for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
            if (!Modifier.isPublic(t.getModifiers()) || t.isAnonymousClass() || t.isSynthetic()) {
                return false;
            }
        }
        return true;
    }

    /** Public methods declared by the type and its public constructors, minus Object's and enum boilerplate. */
    static List<Executable> executables(Class<?> type) {
        List<Executable> all = new ArrayList<>();
        if (!type.isInterface() && !Modifier.isAbstract(type.getModifiers()) && !type.isEnum()) {
            all.addAll(Arrays.asList(type.getConstructors()));
        }
        for (Method m : type.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic() || m.isBridge()) {
                continue;
            }
            if (m.getName().equals("equals") && m.getParameterCount() == 1) {
                continue; // equals(null) is false by contract
            }
            if (type.isEnum() && (m.getName().equals("valueOf") || m.getName().equals("values"))) {
                continue; // generated by javac
            }
            all.add(m);
        }
        all.sort(Comparator.comparing(NullArgumentCatalogueTest::signature));
        return all;
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Valid sample arguments and receivers, each fresh, built on the test thread. */
    static final class Samples {

        private static final Map<Class<?>, Supplier<Object>> VALUES = new LinkedHashMap<>();
        private static final Map<Class<?>, Supplier<Object>> RECEIVERS = new HashMap<>();
        private static final List<AutoCloseable> OPEN = new ArrayList<>();

        static {
            SequenceHash hash = TestTokens.roots(4242, 1).get(0);
            TokenBlock tokenBlock =
                    TestTokens.blocks(0, 1, TestManagers.BLOCK_SIZE).get(0);
            EventBatch batch = new EventBatch(1, StorageTier.G1, 0, 0, EventKind.STORED, List.of(hash));
            value(String.class, () -> "x");
            value(Object.class, () -> "x");
            value(CharSequence.class, () -> "x");
            value(SequenceHash.class, () -> hash);
            value(TokenBlock.class, () -> tokenBlock);
            value(Duration.class, () -> Duration.ofSeconds(1));
            value(Class.class, () -> String.class);
            value(byte[].class, () -> EventCodec.encode(batch));
            value(int[].class, () -> TestTokens.range(0, 2 * TestManagers.BLOCK_SIZE));
            value(EventBatch.class, () -> batch);
            value(URI.class, () -> URI.create("http://127.0.0.1:9/events"));
            value(Retry.class, () -> Retry.max(1));
            value(Throwable.class, () -> new IllegalStateException("sample"));
            value(IllegalArgumentException.class, () -> new IllegalArgumentException("sample"));
            value(reactor.core.scheduler.Scheduler.class, Schedulers::immediate);
            value(org.reactivestreams.Publisher.class, Flux::empty);
            value(Flux.class, Flux::empty);
            value(BlockManager.class, () -> TestManagers.create(4));
            value(BlockRegistry.class, BlockRegistry::create);
            value(FrequencyTracker.class, FrequencyTracker::noop);
            value(EmissionPolicy.class, EmissionPolicy::all);
            value(EvictionPolicy.class, EvictionPolicy::lru);
            value(EvictionPolicy.Context.class, () -> new EvictionPolicy.Context(4, FrequencyTracker.noop(), false));
            value(io.kvbm.block.CompleteBlock.class, () -> TestBlocks.stage(TestManagers.create(4), hash));
            value(IndexRange.class, () -> IndexRange.of(0, 1));
            value(ExternalBlockAssignments.class, ExternalBlockAssignments::new);
            value(KvIndexer.class, KvIndexer::create);
            value(SequenceDelegate.class, SequenceDelegate::noop);
            value(
                    io.kvbm.transport.EventPublisher.class,
                    () -> InMemoryEventBus.create().publisher());
            value(
                    io.kvbm.transport.EventSubscriber.class,
                    () -> InMemoryEventBus.create().subscriber());
            value(io.micrometer.core.instrument.MeterRegistry.class, SimpleMeterRegistry::new);
            value(reactor.netty.http.client.HttpClient.class, reactor.netty.http.client.HttpClient::create);

            receiver(BlockManager.class, () -> TestManagers.create(4));
            receiver(BlockManager.Builder.class, BlockManager::builder);
            receiver(BlockRegistry.class, BlockRegistry::create);
            receiver(BlockRegistry.Builder.class, BlockRegistry::builder);
            receiver(
                    io.kvbm.registry.RegistrationHandle.class,
                    () -> BlockRegistry.create().register(hash));
            receiver(
                    io.kvbm.block.MutableBlock.class,
                    () -> TestBlocks.allocate(TestManagers.create(4), 1).get(0));
            receiver(io.kvbm.block.CompleteBlock.class, () -> TestBlocks.stage(TestManagers.create(4), hash));
            receiver(io.kvbm.block.ImmutableBlock.class, () -> TestBlocks.register(TestManagers.create(4), hash));
            receiver(io.kvbm.block.WeakBlock.class, () -> {
                io.kvbm.block.ImmutableBlock h = TestBlocks.register(TestManagers.create(4), hash);
                io.kvbm.block.WeakBlock weak = h.downgrade();
                h.close();
                return weak;
            });
            receiver(SequenceHash.class, () -> hash);
            receiver(TokenBlock.class, () -> tokenBlock);
            receiver(TokenBlockSequence.class, () -> TokenBlockSequence.of(TestTokens.range(0, 8), 4, 42));
            receiver(FrequencySketch.class, () -> new FrequencySketch(64));
            receiver(FrequencyTracker.class, () -> FrequencyTracker.tinyLfu(64));
            receiver(EmissionPolicy.class, EmissionPolicy::all);
            receiver(EvictionPolicy.class, EvictionPolicy::lru);
            receiver(
                    io.kvbm.eviction.InactiveIndex.class,
                    () -> EvictionPolicy.lru().newIndex(new EvictionPolicy.Context(4, FrequencyTracker.noop(), false)));
            receiver(EventBatch.class, () -> batch);
            receiver(EventBatcher.Builder.class, EventBatcher::builder);
            receiver(BlockSequence.class, () -> BlockSequence.of(TestTokens.range(0, 8), 4));
            receiver(ExternalBlockAssignments.class, ExternalBlockAssignments::new);
            receiver(LogicalBlockAssignments.class, LogicalBlockAssignments::new);
            receiver(IndexRange.class, () -> IndexRange.of(0, 1));
            receiver(RequestSequence.class, () -> new RequestSequence(TestTokens.range(0, 8), 16, 4));
            receiver(SchedulableSequence.Builder.class, SchedulableSequence::builder);
            receiver(KvIndexer.class, KvIndexer::create);
            receiver(KvIndexer.Builder.class, KvIndexer::builder);
            receiver(InMemoryEventBus.class, InMemoryEventBus::create);
            receiver(KvEventPublisher.Builder.class, KvEventPublisher::builder);
            receiver(KvIndexerFeed.Builder.class, KvIndexerFeed::builder);
            receiver(KvbmHttpServer.Builder.class, KvbmHttpServer::builder);
            receiver(EventBatcher.class, () -> EventBatcher.builder().build());
            receiver(
                    SchedulableSequence.class,
                    () -> SchedulableSequence.builder()
                            .tokens(TestTokens.range(0, 8))
                            .maxOutputTokens(4)
                            .blockSize(TestManagers.BLOCK_SIZE)
                            .build());
            receiver(io.kvbm.manager.MetricsRecorder.class, io.kvbm.manager.MetricsRecorder::noop);
            receiver(
                    io.kvbm.metrics.KvbmMetrics.class,
                    () -> track(io.kvbm.metrics.KvbmMetrics.bind(
                            TestManagers.create(4), new SimpleMeterRegistry(), List.of())));
            receiver(
                    io.kvbm.transport.EventPublisher.class,
                    () -> InMemoryEventBus.create().publisher());
            receiver(
                    io.kvbm.transport.EventSubscriber.class,
                    () -> InMemoryEventBus.create().subscriber());
            receiver(SequenceDelegate.class, SequenceDelegate::noop);
            receiver(
                    io.kvbm.router.OverlapScores.class, () -> KvIndexer.create().findMatches(List.of(hash)));
            receiver(
                    KvbmHttpEventClient.Builder.class,
                    () -> KvbmHttpEventClient.builder(URI.create("http://x/events")));
        }

        private static void value(Class<?> type, Supplier<Object> sample) {
            VALUES.put(type, sample);
        }

        private static void receiver(Class<?> type, Supplier<Object> sample) {
            RECEIVERS.put(type, sample);
        }

        private static <T> T track(T resource) {
            if (resource instanceof AutoCloseable closeable) {
                OPEN.add(closeable);
            }
            return resource;
        }

        static boolean hasReceiver(Class<?> type) {
            return RECEIVERS.containsKey(type);
        }

        static Object receiver(Class<?> type) {
            return RECEIVERS.get(type).get();
        }

        /** The parameter types (other than {@code skip}) without a sample, or null if all have one. */
        static @Nullable String missing(Executable e, int skip) {
            Type[] types = e.getGenericParameterTypes();
            for (int i = 0; i < types.length; i++) {
                if (i != skip && !canMake(types[i])) {
                    return types[i].getTypeName();
                }
            }
            return null;
        }

        private static boolean canMake(Type type) {
            Class<?> raw = raw(type);
            return raw.isPrimitive()
                    || raw.isEnum()
                    || VALUES.containsKey(raw)
                    || Iterable.class.isAssignableFrom(raw)
                    || Map.class.isAssignableFrom(raw)
                    || raw.isArray() && VALUES.containsKey(raw)
                    || isFunctional(raw);
        }

        static Object value(Type type) {
            Class<?> raw = raw(type);
            if (raw.isPrimitive()) {
                return primitive(raw);
            }
            if (raw.isEnum()) {
                return raw.getEnumConstants()[0];
            }
            Supplier<Object> sample = VALUES.get(raw);
            if (sample != null) {
                return sample.get();
            }
            if (Set.class.isAssignableFrom(raw)) {
                return Set.of();
            }
            if (Iterable.class.isAssignableFrom(raw)) {
                return List.of();
            }
            if (Map.class.isAssignableFrom(raw)) {
                return Map.of();
            }
            if (isFunctional(raw)) {
                return Proxy.newProxyInstance(raw.getClassLoader(), new Class<?>[] {raw}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("equals") ? proxy == args[0] : method.invoke(raw, args);
                    }
                    return method.getReturnType().isPrimitive() ? primitive(method.getReturnType()) : null;
                });
            }
            throw new IllegalStateException("no sample for " + type);
        }

        private static boolean isFunctional(Class<?> raw) {
            return raw.isInterface()
                            && Arrays.stream(raw.getMethods())
                                            .filter(m -> Modifier.isAbstract(m.getModifiers()))
                                            .count()
                                    == 1
                            && raw.getName().startsWith("java.util.function")
                    || raw == Runnable.class;
        }

        private static Object primitive(Class<?> type) {
            if (type == boolean.class) {
                return false;
            }
            if (type == long.class) {
                return 1L;
            }
            if (type == double.class) {
                return 1.0;
            }
            if (type == float.class) {
                return 1.0f;
            }
            if (type == byte.class) {
                return (byte) 1;
            }
            if (type == short.class) {
                return (short) 1;
            }
            if (type == char.class) {
                return 'x';
            }
            if (type == void.class) {
                return null;
            }
            return 1;
        }

        private static Class<?> raw(Type type) {
            if (type instanceof Class<?> c) {
                return c;
            }
            if (type instanceof ParameterizedType p) {
                return (Class<?>) p.getRawType();
            }
            return Object.class; // type variables and wildcards
        }

        static void closeQuietly(@Nullable Object value) {
            if (value instanceof AutoCloseable closeable && !(value instanceof BlockManager)) {
                try {
                    closeable.close();
                } catch (Exception ignored) {
                    // a sample that is already closed
                }
            }
            if (value instanceof reactor.core.Disposable disposable) {
                disposable.dispose();
            }
        }

        static void shutDown() {
            OPEN.forEach(Samples::closeQuietly);
            OPEN.clear();
        }
    }
}
