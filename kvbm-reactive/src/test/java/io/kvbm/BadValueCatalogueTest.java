package io.kvbm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.event.EmissionPolicy;
import io.kvbm.event.EventBatch;
import io.kvbm.event.EventBatcher;
import io.kvbm.event.EventCodec;
import io.kvbm.event.EventKind;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.eviction.InactiveIndex;
import io.kvbm.frequency.FrequencySketch;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.manager.BlockManager;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.sequence.BlockAssignment;
import io.kvbm.sequence.BlockTransfer;
import io.kvbm.sequence.LogicalBlockAssignments;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlockSequence;
import io.kvbm.transport.EventSubjects;
import io.kvbm.transport.InMemoryEventBus;
import io.kvbm.transport.KvEventPublisher;
import io.kvbm.transport.KvIndexerFeed;
import io.kvbm.transport.http.KvbmHttpEventClient;
import io.kvbm.transport.http.KvbmHttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * The value half of the bad-input catalogue outside the manager's own methods (those are {@code BadInputTest}): for
 * each public type, each argument out of its documented range (negative, zero where not allowed, out of range,
 * inconsistent, missing required setting, malformed wire bytes) → the documented exception, thrown at the call, with
 * a message that names the rule and the offending value. Cases already in a package's own tests (codec truncation,
 * unknown kind, wrong hash length, registry handle misuse, builder ranges of the manager...) are not repeated; the
 * null half is {@link NullArgumentCatalogueTest}. Books of any manager involved are checked after each case by
 * {@link io.kvbm.testing.BlockInvariantsExtension}.
 */
class BadValueCatalogueTest {

    private static final SequenceHash HASH = TestTokens.roots(99, 1).get(0);

    static Stream<Arguments> cases() {
        return Stream.of(
                iae("new FrequencySketch(-1)", () -> new FrequencySketch(-1), "got -1"),
                iae(
                        "new FrequencySketch(MAX+1)",
                        () -> new FrequencySketch(FrequencySketch.MAX_CAPACITY + 1),
                        "got " + (FrequencySketch.MAX_CAPACITY + 1)),
                iae("FrequencyTracker.tinyLfu(0)", () -> FrequencyTracker.tinyLfu(0), "got 0"),
                iae("EvictionPolicy.multiLru(1, 5, 4)", () -> EvictionPolicy.multiLru(1, 5, 4), "got 1, 5, 4"),
                iae("EvictionPolicy.multiLru(1, 2, 16)", () -> EvictionPolicy.multiLru(1, 2, 16), "got 1, 2, 16"),
                iae(
                        "EvictionPolicy.Context(blockCount 0)",
                        () -> new EvictionPolicy.Context(0, FrequencyTracker.noop(), false),
                        "got 0"),
                iae("InactiveIndex.insert(blockId -1)", () -> index().insert(HASH, -1), "got -1"),
                iae("InactiveIndex.insert(blockId = blockCount)", () -> index().insert(HASH, 4), "got 4"),
                // ---- events
                iae(
                        "new EventBatch(seq -2)",
                        () -> new EventBatch(1, StorageTier.G1, -2, 0, EventKind.STORED, List.of(HASH)),
                        "got -2"),
                iae(
                        "EventBatcher.window(-1 ms)",
                        () -> EventBatcher.builder().window(Duration.ofMillis(-1)),
                        "got " + Duration.ofMillis(-1)),
                iae("EmissionPolicy.powerOfTwo(8, 4)", () -> EmissionPolicy.powerOfTwo(8, 4), "got min=8, max=4"),
                iae("EventCodec.decode(garbage)", () -> EventCodec.decode(new byte[] {(byte) 0xc1}), "malformed"),
                iae("EventCodec.decode(a string)", () -> EventCodec.decode(wireString("hello")), "malformed"),
                iae("EventCodec.decode(tier G9)", () -> EventCodec.decode(wire("G9", 0, "STORED")), "G9"),
                iae("EventCodec.decode(seq -5)", () -> EventCodec.decode(wire("G1", -5, "STORED")), "-5"),
                iae("EventCodec.decode(kind lowercase)", () -> EventCodec.decode(wire("G1", 0, "stored")), "stored"),
                iae("new BlockAssignment(blockId -1)", () -> new BlockAssignment(-1, HASH), "got -1"),
                iae("new BlockTransfer(position -1)", () -> new BlockTransfer(-1, 0, 0), "position -1"),
                iae("new BlockTransfer(source -1)", () -> new BlockTransfer(0, -1, 0), "-1"),
                // ---- router,
                iae(
                        "BlockRegistry.Builder.eventBufferSize(0)",
                        () -> BlockRegistry.builder().eventBufferSize(0),
                        "got 0"),
                iae("EventSubjects.resync(\"a b\", 1)", () -> EventSubjects.resync("a b", 1), "got 'a b'"),
                iae(
                        "KvEventPublisher.Builder.subject(\" \")",
                        () -> KvEventPublisher.builder().subject(" "),
                        "blank"),
                iae(
                        "KvIndexerFeed.Builder.start() without indexer",
                        () -> KvIndexerFeed.builder()
                                .subscriber(InMemoryEventBus.create().subscriber())
                                .start(),
                        "indexer is required"),
                iae(
                        "KvbmHttpEventClient.Builder.idleTimeout(0)",
                        () -> KvbmHttpEventClient.builder(URI.create("http://127.0.0.1:9/events"))
                                .idleTimeout(Duration.ZERO),
                        "got " + Duration.ZERO),
                iae(
                        "KvbmHttpServer.Builder.clientBufferSize(-1)",
                        () -> KvbmHttpServer.builder().clientBufferSize(-1),
                        "got -1"),
                iae(
                        "KvbmHttpServer.Builder.heartbeat(-1 s)",
                        () -> KvbmHttpServer.builder().heartbeat(Duration.ofSeconds(-1)),
                        "got " + Duration.ofSeconds(-1)),
                iae(
                        "BlockManager.Builder.eventBatching(0, 10 ms)",
                        () -> BlockManager.builder().eventBatching(0, Duration.ofMillis(10)),
                        "got 0"),
                iae(
                        "BlockManager.Builder.eventBatching(1, 0 s)",
                        () -> BlockManager.builder().eventBatching(1, Duration.ZERO),
                        "got " + Duration.ZERO),
                iae(
                        "BlockManager.Builder.eventBufferSize(0)",
                        () -> BlockManager.builder().eventBufferSize(0),
                        "got 0"));
    }

    /**
     * Wrong tier: with one registry shared by a G1 and a G2 manager, a block staged by the G1 manager offered to the
     * G2 manager is refused at the call, naming both managers; nothing is registered in either tier, and the block
     * is still the G1 manager's to register.
     */
    @Test
    void register_blockStagedByTheManagerOfAnotherTier_refusedNamingBothAndTiersUntouched() {
        BlockRegistry shared = BlockRegistry.create();
        BlockManager g1 = TestManagers.create(4, shared, StorageTier.G1);
        BlockManager g2 = TestManagers.create(4, shared, StorageTier.G2);
        CompleteBlock staged = TestBlocks.stage(g1, HASH);

        assertThatThrownBy(() -> g2.register(staged))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("belongs to manager " + g1.id())
                .hasMessageContaining("not to manager " + g2.id());

        assertThat(shared.isPresent(HASH, StorageTier.G1)).isFalse();
        assertThat(shared.isPresent(HASH, StorageTier.G2)).isFalse();
        g1.register(staged).block(TestBlocks.TIMEOUT).close();
        assertThat(shared.isPresent(HASH, StorageTier.G1)).isTrue();
        assertThat(shared.isPresent(HASH, StorageTier.G2)).isFalse();
    }

    /**
     * A closed guard handed to {@link LogicalBlockAssignments}: the guard interfaces expose no liveness, so
     * {@code extendBlocks} accepts it; the misuse surfaces at the first transition, {@code stage}, with the guard's
     * own {@code IllegalStateException} naming the block and its state, and closing the assignments returns every
     * block (the books balance). Unlike a size mismatch, which stages nothing, the blocks before the closed one are
     * staged when it throws (reported in docs/reliability.md).
     */
    @Test
    void logicalAssignments_closedGuardAmongUnassigned_stageThrowsNamingTheBlockAndCloseReturnsEverything() {
        BlockManager m = TestManagers.create(4);
        List<MutableBlock> blocks = TestBlocks.allocate(m, 2);
        int closedId = blocks.get(1).blockId();
        blocks.get(1).close();
        LogicalBlockAssignments assignments = new LogicalBlockAssignments();
        assignments.extendBlocks(blocks);

        assertThatThrownBy(() -> assignments.stage(TestTokens.blocks(0, 2, TestManagers.BLOCK_SIZE)))
                .isExactlyInstanceOf(IllegalStateException.class)
                .hasMessage("MutableBlock of block " + closedId + " is closed; stage needs a live guard");

        assignments.close();
        assertThat(m.resetBlocks()).isEqualTo(4);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void invalidValue_throwsAtTheCallNamingTheValue(
            ThrowingCallable call, Class<? extends Throwable> type, String namesTheValue) {
        assertThatThrownBy(call).isInstanceOf(type).hasMessageContaining(namesTheValue);
    }

    private static Arguments iae(String description, ThrowingCallable call, String namesTheValue) {
        return Arguments.of(Named.of(description, call), IllegalArgumentException.class, namesTheValue);
    }

    private static TokenBlockSequence sequence() {
        return TokenBlockSequence.of(TestTokens.range(0, 8), 4, TestTokens.SALT);
    }

    private static InactiveIndex index() {
        return EvictionPolicy.lru().newIndex(new EvictionPolicy.Context(4, FrequencyTracker.noop(), false));
    }

    /** A wire batch (docs/events.md) with the given tier, seq and kind, one hash. */
    private static byte[] wire(String tier, long seq, String kind) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(7);
            p.packString("v").packInt(1);
            p.packString("instance_id").packLong(1);
            p.packString("tier").packString(tier);
            p.packString("seq").packLong(seq);
            p.packString("ts").packLong(0);
            p.packString("kind").packString(kind);
            byte[] bytes = HASH.toBytes();
            p.packString("hashes")
                    .packArrayHeader(1)
                    .packBinaryHeader(bytes.length)
                    .writePayload(bytes);
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] wireString(String s) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packString(s);
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
