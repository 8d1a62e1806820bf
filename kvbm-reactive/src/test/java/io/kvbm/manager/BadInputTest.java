package io.kvbm.manager;

import static io.kvbm.testing.TestBlocks.TIMEOUT;
import static io.kvbm.testing.TestBlocks.allocate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvbm.block.BlockSizeMismatchException;
import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.block.StorageTier;
import io.kvbm.eviction.EvictionPolicy;
import io.kvbm.frequency.FrequencyTracker;
import io.kvbm.registry.AttachmentException;
import io.kvbm.registry.BlockRegistry;
import io.kvbm.registry.RegistrationHandle;
import io.kvbm.testing.TestBlocks;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.SequenceHash;
import io.kvbm.tokens.TokenBlock;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;

/**
 * The bad-input catalogue (DESIGN §6): one case per (method, invalid argument). Each asserts the exception type, that
 * it is thrown at the call (arguments are validated at assembly, never deferred to {@code onError}), that the message
 * names the offending value and the rule, and that nothing was half-applied: the guard involved is still usable where
 * the contract says so, and {@link io.kvbm.testing.BlockInvariantsExtension} checks after every case that the books
 * balance and nothing is left held.
 *
 * <p>Its siblings: {@code io.kvbm.NullArgumentCatalogueTest} (null for every non-null parameter of every public
 * method, swept by reflection), {@code io.kvbm.BadValueCatalogueTest} (out-of-range values of the other packages) and
 * {@code TraceReaderTest} in {@code examples} (truncated trace lines); totals in docs/reliability.md.
 *
 * <p>83 cases, a parameterized test counting once per argument: allocation counts 17, registration 11, lookups 5,
 * staging a MutableBlock 11, resetting a CompleteBlock 3, closed ImmutableBlock 4, registry and handles 10, builder
 * 16, eviction policy factory 6.
 */
class BadInputTest {

    private static final int TOTAL = 4;

    private static BlockManager manager() {
        return TestManagers.create(TOTAL);
    }

    private static SequenceHash hash(int i) {
        return TestTokens.roots(1000, i + 1).get(i);
    }

    // -------------------------------------------------------------------------------------------------------------

    /** 16 + 1 cases: every method taking a block count, with counts outside {@code [0, totalBlocks]}. */
    @Nested
    class AllocationCounts {

        static Stream<Arguments> countCases() {
            List<Named<BiFunction<BlockManager, Integer, Mono<?>>>> methods = List.of(
                    Named.of("allocate", BlockManager::allocate),
                    Named.of("tryAllocate", BlockManager::tryAllocate),
                    Named.of("allocateWithEvictions", BlockManager::allocateWithEvictions),
                    Named.of("withBlocks", (m, n) -> m.withBlocks(n, blocks -> Mono.just(1))));
            return methods.stream()
                    .flatMap(method -> Stream.of(-1, Integer.MIN_VALUE, TOTAL + 1, Integer.MAX_VALUE)
                            .map(n -> Arguments.of(method, n)));
        }

        @ParameterizedTest(name = "{0}({1})")
        @MethodSource("countCases")
        void count_outOfRange_throwsIaeNamingTheValueAndTheRange(
                BiFunction<BlockManager, Integer, Mono<?>> call, int n) {
            BlockManager m = manager();

            assertThatThrownBy(() -> call.apply(m, n))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("n must be in [0, totalBlocks=" + TOTAL + "], got " + n);

            assertThat(m.availableBlocks()).isEqualTo(TOTAL);
            assertThat(m.pendingAllocations()).isZero();
            assertThat(m.stats().allocations()).isZero();
        }

        @Test
        void withBlocks_nullBody_throwsNpeNamingTheParameter() {
            BlockManager m = manager();

            assertThatThrownBy(() -> m.withBlocks(1, null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("body");
        }
    }

    /** 11 cases: {@code register} and {@code registerAll} with unusable blocks. */
    @Nested
    class Registration {

        @Test
        void register_null_throwsNpe() {
            BlockManager m = manager();

            assertThatThrownBy(() -> m.register(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("block");
        }

        @Test
        void register_blockOfAnotherManager_throwsIaeNamingBothManagers() {
            BlockManager m = manager();
            BlockManager other = manager();
            CompleteBlock foreign = TestBlocks.stage(other, hash(0));

            assertThatThrownBy(() -> m.register(foreign))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("block " + foreign.blockId())
                    .hasMessageContaining("belongs to manager " + other.id())
                    .hasMessageContaining("not to manager " + m.id());

            // still live and still registrable where it belongs
            other.register(foreign).block(TIMEOUT).close();
        }

        @Test
        void register_blockNotCreatedByAManager_throwsIaeNamingItsClass() {
            BlockManager m = manager();
            CompleteBlock impostor = new ImpostorBlock();

            assertThatThrownBy(() -> m.register(impostor))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(ImpostorBlock.class.getName())
                    .hasMessageContaining("not a CompleteBlock staged by a BlockManager");
        }

        @Test
        void register_closedBlock_throwsIseNamingBlockAndState() {
            BlockManager m = manager();
            CompleteBlock staged = TestBlocks.stage(m, hash(0));
            staged.close();

            assertThatThrownBy(() -> m.register(staged))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("CompleteBlock of block 0 is closed; register needs a live guard");
        }

        @Test
        void register_blockResetBackToMutable_throwsIseConsumed() {
            BlockManager m = manager();
            CompleteBlock staged = TestBlocks.stage(m, hash(0));
            MutableBlock back = staged.reset();

            assertThatThrownBy(() -> m.register(staged))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("CompleteBlock of block 0 is consumed; register needs a live guard");
            back.close();
        }

        @Test
        void register_alreadyRegisteredBlock_throwsIseConsumed() {
            BlockManager m = manager();
            CompleteBlock staged = TestBlocks.stage(m, hash(0));
            ImmutableBlock registered = m.register(staged).block(TIMEOUT);

            assertThatThrownBy(() -> m.register(staged))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block 0 is consumed");
            assertThat(m.stats().registrations()).isEqualTo(1);
            registered.close();
        }

        @Test
        void registerAll_null_throwsNpe() {
            BlockManager m = manager();

            assertThatThrownBy(() -> m.registerAll(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("blocks");
        }

        @Test
        void registerAll_nullElement_throwsNpeNamingItsIndex() {
            BlockManager m = manager();
            CompleteBlock staged = TestBlocks.stage(m, hash(0));

            assertThatThrownBy(() -> m.registerAll(Arrays.asList(staged, null)))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("blocks[1]");
            staged.close();
        }

        @Test
        void registerAll_sameBlockTwice_throwsIaeAndConsumesNothing() {
            BlockManager m = manager();
            List<CompleteBlock> staged = TestBlocks.stage(m, List.of(hash(0), hash(1)));

            assertThatThrownBy(() -> m.registerAll(List.of(staged.get(0), staged.get(1), staged.get(0))))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("blocks[2] (block 0) appears twice in the batch");

            m.registerAll(staged).block(TIMEOUT).forEach(ImmutableBlock::close);
        }

        @Test
        void registerAll_blockOfAnotherManager_throwsIaeNamingBothManagersAndConsumesNothing() {
            BlockManager m = manager();
            BlockManager other = manager();
            CompleteBlock mine = TestBlocks.stage(m, hash(0));
            CompleteBlock foreign = TestBlocks.stage(other, hash(1));

            assertThatThrownBy(() -> m.registerAll(List.of(mine, foreign)))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("blocks[1] (block 0) belongs to manager " + other.id() + ", not to manager " + m.id());

            mine.close();
            foreign.close();
            assertThat(m.stats().registrations() + other.stats().registrations())
                    .isZero();
        }

        @Test
        void registerAll_closedElement_throwsIseAndConsumesNothing() {
            BlockManager m = manager();
            List<CompleteBlock> staged = TestBlocks.stage(m, List.of(hash(0), hash(1)));
            staged.get(1).close();

            assertThatThrownBy(() -> m.registerAll(staged))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("CompleteBlock of block 1 is closed; register needs a live guard");

            m.register(staged.get(0)).block(TIMEOUT).close();
            assertThat(StoreAudit.violations(m)).isEmpty();
        }
    }

    /** 5 cases: lookups with null lists or null hashes. */
    @Nested
    class Lookups {

        @Test
        void match_null_throwsNpe() {
            assertThatThrownBy(() -> manager().match(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("hashes");
        }

        @Test
        void match_nullHash_throwsNpeNamingItsIndex() {
            BlockManager m = manager();
            TestBlocks.cache(m, List.of(hash(0)));

            assertThatThrownBy(() -> m.match(Arrays.asList(hash(0), null)))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("hashes[1]");
            assertThat(m.inactiveBlocks()).as("nothing looked up").isEqualTo(1);
        }

        @Test
        void scan_null_throwsNpe() {
            assertThatThrownBy(() -> manager().scan(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("hashes");
        }

        @Test
        void scan_nullHash_throwsNpeNamingItsIndex() {
            assertThatThrownBy(() -> manager().scan(Arrays.asList(null, hash(0))))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("hashes[0]");
        }

        @Test
        void scanWithoutTouch_nullHash_throwsNpeNamingItsIndex() {
            assertThatThrownBy(() -> manager().scan(Arrays.asList(hash(0), hash(1), null), false))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("hashes[2]");
        }
    }

    /** 11 cases: staging a {@link MutableBlock} wrongly; a size mismatch leaves the guard live. */
    @Nested
    class Staging {

        @Test
        void stage_nullHash_throwsNpeAndLeavesTheGuardLive() {
            BlockManager m = manager();
            MutableBlock block = allocate(m, 1).get(0);

            assertThatThrownBy(() -> block.stage(null, TOTAL))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("sequenceHash");

            block.stage(hash(0), m.blockSize()).close();
        }

        @ParameterizedTest(name = "stage(h, {0})")
        @ValueSource(ints = {0, -1, 3, 8})
        void stage_wrongSize_throwsMismatchWithExpectedAndActualAndLeavesTheGuardLive(int size) {
            BlockManager m = manager();
            MutableBlock block = allocate(m, 1).get(0);

            assertThatThrownBy(() -> block.stage(hash(0), size))
                    .isInstanceOfSatisfying(BlockSizeMismatchException.class, e -> {
                        assertThat(e.expected()).isEqualTo(TestManagers.BLOCK_SIZE);
                        assertThat(e.actual()).isEqualTo(size);
                    })
                    .hasMessage("block 0 holds 4 tokens, but was staged with " + size
                            + " (the size must equal the manager's blockSize)");
            assertThat(m.stats().stagings()).isZero();
            assertThat(m.stats().inflightMutable()).isEqualTo(1);

            CompleteBlock staged = block.stage(hash(0), m.blockSize()); // still usable
            assertThat(staged.blockId()).isEqualTo(block.blockId());
            staged.close();
        }

        @Test
        void complete_null_throwsNpe() {
            BlockManager m = manager();
            MutableBlock block = allocate(m, 1).get(0);

            assertThatThrownBy(() -> block.complete(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("tokenBlock");
            block.close();
        }

        @Test
        void complete_tokenBlockOfWrongSize_throwsMismatchAndLeavesTheGuardLive() {
            BlockManager m = manager();
            MutableBlock block = allocate(m, 1).get(0);
            TokenBlock eight = TestTokens.blocks(0, 1, 8).get(0);

            assertThatThrownBy(() -> block.complete(eight))
                    .isInstanceOfSatisfying(BlockSizeMismatchException.class, e -> {
                        assertThat(e.expected()).isEqualTo(4);
                        assertThat(e.actual()).isEqualTo(8);
                    })
                    .hasMessageContaining("staged with 8");

            TokenBlock four = TestTokens.blocks(0, 1, 4).get(0);
            CompleteBlock staged = block.complete(four);
            assertThat(staged.sequenceHash()).isEqualTo(four.sequenceHash());
            staged.close();
        }

        @Test
        void stage_twice_throwsIseConsumed() {
            BlockManager m = manager();
            MutableBlock block = allocate(m, 1).get(0);
            CompleteBlock staged = block.stage(hash(0), TOTAL);

            assertThatThrownBy(() -> block.stage(hash(1), TOTAL))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("MutableBlock of block 0 is consumed; stage needs a live guard");
            assertThat(m.stats().stagings()).isEqualTo(1);
            staged.close();
        }

        @Test
        void stage_afterClose_throwsIseClosed() {
            BlockManager m = manager();
            MutableBlock block = allocate(m, 1).get(0);
            block.close();

            assertThatThrownBy(() -> block.stage(hash(0), TOTAL))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("MutableBlock of block 0 is closed; stage needs a live guard");
            assertThat(m.resetBlocks()).isEqualTo(TOTAL);
        }

        @Test
        void complete_afterClose_throwsIseClosed() {
            BlockManager m = manager();
            MutableBlock block = allocate(m, 1).get(0);
            block.close();

            assertThatThrownBy(() -> block.complete(TestTokens.blocks(0, 1, 4).get(0)))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block 0 is closed");
        }

        @Test
        void stage_wrongSizeOnConsumedGuard_reportsTheStateFirst() {
            BlockManager m = manager();
            MutableBlock block = allocate(m, 1).get(0);
            CompleteBlock staged = block.stage(hash(0), TOTAL);

            assertThatThrownBy(() -> block.stage(hash(0), 8))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("consumed");
            staged.close();
        }
    }

    /** 3 cases: rolling back a {@link CompleteBlock} that is no longer live. */
    @Nested
    class Resetting {

        @Test
        void reset_twice_throwsIseConsumed() {
            BlockManager m = manager();
            CompleteBlock staged = TestBlocks.stage(m, hash(0));
            MutableBlock back = staged.reset();

            assertThatThrownBy(staged::reset)
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("CompleteBlock of block 0 is consumed; reset needs a live guard");
            back.close();
        }

        @Test
        void reset_afterRegister_throwsIseConsumed() {
            BlockManager m = manager();
            CompleteBlock staged = TestBlocks.stage(m, hash(0));
            ImmutableBlock registered = m.register(staged).block(TIMEOUT);

            assertThatThrownBy(staged::reset)
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block 0 is consumed");
            assertThat(registered.useCount()).isEqualTo(1);
            registered.close();
        }

        @Test
        void reset_afterClose_throwsIseClosed() {
            BlockManager m = manager();
            CompleteBlock staged = TestBlocks.stage(m, hash(0));
            staged.close();

            assertThatThrownBy(staged::reset)
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("block 0 is closed");
            assertThat(m.resetBlocks()).isEqualTo(TOTAL);
        }
    }

    /** 4 cases: a closed {@link ImmutableBlock} handle. */
    @Nested
    class ClosedHandle {

        private ImmutableBlock closedHandle(BlockManager m) {
            ImmutableBlock handle = TestBlocks.register(m, hash(0));
            handle.close();
            return handle;
        }

        @Test
        void retain_onClosedHandle_throwsIse() {
            BlockManager m = manager();
            ImmutableBlock handle = closedHandle(m);

            assertThatThrownBy(handle::retain)
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("ImmutableBlock of block 0 is closed; retain needs a live guard");
            assertThat(m.stats().inflightImmutable()).isZero();
        }

        @Test
        void downgrade_onClosedHandle_throwsIse() {
            ImmutableBlock handle = closedHandle(manager());

            assertThatThrownBy(handle::downgrade)
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("ImmutableBlock of block 0 is closed; downgrade needs a live guard");
        }

        @Test
        void evictOnRelease_onClosedHandle_throwsIse() {
            BlockManager m = manager();
            ImmutableBlock handle = closedHandle(m);

            assertThatThrownBy(() -> handle.evictOnRelease(true))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("ImmutableBlock of block 0 is closed; evictOnRelease needs a live guard");
            assertThat(m.inactiveBlocks()).isEqualTo(1);
        }

        @Test
        void close_onClosedHandle_isANoOp() {
            BlockManager m = manager();
            ImmutableBlock handle = closedHandle(m);
            ImmutableBlock other = m.match(List.of(hash(0))).blockFirst(TIMEOUT);

            assertThatCode(handle::close).doesNotThrowAnyException();

            assertThat(other.useCount()).as("the second close released nothing").isEqualTo(1);
            other.close();
        }
    }

    /** 10 cases: registry and registration-handle misuse. */
    @Nested
    class Registry {

        private final BlockRegistry registry = BlockRegistry.create();

        private RegistrationHandle closedHandle() {
            RegistrationHandle handle = registry.register(hash(0));
            handle.close();
            return handle;
        }

        @Test
        void attach_onClosedHandle_throwsIseNamingTheHash() {
            RegistrationHandle handle = closedHandle();

            assertThatThrownBy(() -> handle.attach(String.class, "x"))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("registration handle of " + hash(0) + " is closed");
        }

        @Test
        void attachUnique_onClosedHandle_throwsIse() {
            RegistrationHandle handle = closedHandle();

            assertThatThrownBy(() -> handle.attachUnique(String.class, "x"))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is closed");
            assertThat(registry.registeredCount()).isZero();
        }

        @Test
        void retain_onClosedHandle_throwsIse() {
            RegistrationHandle handle = closedHandle();

            assertThatThrownBy(handle::retain)
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is closed");
            assertThat(registry.isRegistered(hash(0))).isFalse();
        }

        @Test
        void attach_nullType_throwsNpe() {
            try (RegistrationHandle handle = registry.register(hash(0))) {
                assertThatThrownBy(() -> handle.attach(null, "x"))
                        .isExactlyInstanceOf(NullPointerException.class)
                        .hasMessage("type");
            }
        }

        @Test
        void attach_nullValue_throwsNpe() {
            try (RegistrationHandle handle = registry.register(hash(0))) {
                assertThatThrownBy(() -> handle.attach(String.class, null))
                        .isExactlyInstanceOf(NullPointerException.class)
                        .hasMessage("value");
                assertThat(handle.multiple(String.class)).isEmpty();
            }
        }

        @Test
        @SuppressWarnings({"unchecked", "rawtypes"})
        void attach_valueOfAnotherType_throwsClassCastNamingBothTypes() {
            try (RegistrationHandle handle = registry.register(hash(0))) {
                Class raw = String.class;

                assertThatThrownBy(() -> handle.attach(raw, 42))
                        .isExactlyInstanceOf(ClassCastException.class)
                        .hasMessageContaining("java.lang.Integer")
                        .hasMessageContaining("java.lang.String");
                assertThat(handle.multiple(String.class)).isEmpty();
            }
        }

        @Test
        void attachUnique_typeAttachedAsMultiple_throwsAttachmentExceptionNamingTheType() {
            try (RegistrationHandle handle = registry.register(hash(0))) {
                handle.attach(String.class, "a");

                assertThatThrownBy(() -> handle.attachUnique(String.class, "b"))
                        .isInstanceOfSatisfying(AttachmentException.class, e -> {
                            assertThat(e.reason())
                                    .isEqualTo(AttachmentException.Reason.TYPE_ALREADY_REGISTERED_AS_MULTIPLE);
                            assertThat(e.type()).isEqualTo(String.class);
                        })
                        .hasMessageContaining("java.lang.String is already registered as multiple");
                assertThat(handle.multiple(String.class)).containsExactly("a");
            }
        }

        @Test
        void register_nullHash_throwsNpe() {
            assertThatThrownBy(() -> registry.register(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("hash");
        }

        @Test
        void register_nullTier_throwsNpeAndRegistersNothing() {
            assertThatThrownBy(() -> registry.register(hash(0), null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("tier");
            assertThat(registry.registeredCount()).isZero();
        }

        @Test
        void lookup_nullHash_throwsNpe() {
            assertThatThrownBy(() -> registry.lookup(null, true))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("hash");
        }
    }

    /** 16 cases: builder setters and build(). */
    @Nested
    class Builder {

        @ParameterizedTest(name = "blockCount({0})")
        @ValueSource(ints = {0, -1, BlockManager.MAX_BLOCK_COUNT + 1, Integer.MIN_VALUE})
        void blockCount_outOfRange_throwsIaeNamingValueAndRange(int count) {
            assertThatThrownBy(() -> BlockManager.builder().blockCount(count))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("blockCount must be in [1, 16777216], got " + count);
        }

        @ParameterizedTest(name = "blockSize({0})")
        @ValueSource(ints = {0, 3, 2048, -4})
        void blockSize_notAPowerOfTwoInRange_throwsIaeNamingValueAndRule(int size) {
            assertThatThrownBy(() -> BlockManager.builder().blockSize(size))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("blockSize must be a power of two in [1, 1024], got " + size);
        }

        @Test
        void maxPendingAllocations_negative_throwsIae() {
            assertThatThrownBy(() -> BlockManager.builder().maxPendingAllocations(-1))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("maxPendingAllocations must be >= 0, got -1");
        }

        @Test
        void tier_null_throwsNpe() {
            assertThatThrownBy(() -> BlockManager.builder().tier(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("tier");
        }

        @Test
        void registry_null_throwsNpe() {
            assertThatThrownBy(() -> BlockManager.builder().registry(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("registry");
        }

        @Test
        void duplicationPolicy_null_throwsNpe() {
            assertThatThrownBy(() -> BlockManager.builder().duplicationPolicy(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("duplicationPolicy");
        }

        @Test
        void eviction_null_throwsNpe() {
            assertThatThrownBy(() -> BlockManager.builder().eviction(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("eviction");
        }

        @Test
        void leakDetection_null_throwsNpe() {
            assertThatThrownBy(() -> BlockManager.builder().leakDetection(null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("leakDetection");
        }

        @Test
        void build_withoutBlockCount_throwsIaeNamingTheField() {
            assertThatThrownBy(() -> BlockManager.builder().blockSize(16).build())
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("blockCount is required: call blockCount(n) with n >= 1");
        }

        @Test
        void setter_rejectedValue_leavesThePreviousValueInPlace() {
            BlockManager.Builder builder =
                    BlockManager.builder().blockCount(8).blockSize(8).maxPendingAllocations(3);

            assertThatThrownBy(() -> builder.blockCount(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> builder.blockSize(12)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> builder.tier(null)).isInstanceOf(NullPointerException.class);

            BlockManager m = builder.build();
            assertThat(m.totalBlocks()).isEqualTo(8);
            assertThat(m.blockSize()).isEqualTo(8);
            assertThat(m.tier()).isEqualTo(StorageTier.G1);
        }
    }

    /** 6 cases: custom eviction policies. */
    @Nested
    class EvictionPolicyFactory {

        @ParameterizedTest(name = "of(\"{0}\", factory)")
        @ValueSource(strings = {"", "   ", "\t"})
        void of_blankName_throwsIaeNamingTheValue(String name) {
            assertThatThrownBy(() -> EvictionPolicy.of(name, EvictionPolicy.lru()::newIndex))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessage("name must not be blank, got \"" + name + "\"");
        }

        @Test
        void of_nullName_throwsNpe() {
            assertThatThrownBy(() -> EvictionPolicy.of(null, EvictionPolicy.lru()::newIndex))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("name");
        }

        @Test
        void of_nullFactory_throwsNpe() {
            assertThatThrownBy(() -> EvictionPolicy.of("custom", null))
                    .isExactlyInstanceOf(NullPointerException.class)
                    .hasMessage("factory");
        }

        @Test
        void of_factoryReturningNull_failsTheBuildNamingThePolicy() {
            EvictionPolicy broken = EvictionPolicy.of("broken", context -> null);
            BlockManager.Builder builder = BlockManager.builder().blockCount(4).eviction(broken);

            assertThatThrownBy(builder::build)
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("eviction policy broken created a null index");
            assertThat(EvictionPolicy.lru().newIndex(new EvictionPolicy.Context(4, FrequencyTracker.noop(), false)))
                    .as("a failed build leaves shared policies untouched")
                    .isNotNull();
        }
    }

    /** Not created by any manager: only the manager's own guards may be registered. */
    private static final class ImpostorBlock implements CompleteBlock {
        @Override
        public int blockId() {
            return 0;
        }

        @Override
        public int blockSize() {
            return TOTAL;
        }

        @Override
        public SequenceHash sequenceHash() {
            return hash(0);
        }

        @Override
        public MutableBlock reset() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    }
}
