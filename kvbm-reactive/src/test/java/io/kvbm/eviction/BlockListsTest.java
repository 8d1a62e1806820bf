package io.kvbm.eviction;

import static io.kvbm.eviction.BlockLists.NIL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The intrusive lists of the LRU, multi-level LRU and lineage-FIFO indices, against one {@link List} per list. */
class BlockListsTest {

    @Test
    void head_emptyList_isNil() {
        BlockLists lists = new BlockLists(2, 4);

        assertThat(lists.head(0)).isEqualTo(NIL);
        assertThat(lists.head(1)).isEqualTo(NIL);
        assertThat(lists.size(0)).isZero();
        assertThat(lists.contains(0)).isFalse();
    }

    @Test
    void append_keepsEachListInAppendOrder() {
        BlockLists lists = new BlockLists(2, 6);
        lists.append(0, 4);
        lists.append(1, 2);
        lists.append(0, 0);
        lists.append(1, 5);
        lists.append(0, 3);

        assertThat(walk(lists, 0)).containsExactly(4, 0, 3);
        assertThat(walk(lists, 1)).containsExactly(2, 5);
        assertThat(lists.size(0)).isEqualTo(3);
        assertThat(lists.contains(1)).isFalse();
        lists.checkInvariants();
    }

    @Test
    void unlink_headMiddleAndTail_closesTheGap() {
        BlockLists lists = new BlockLists(1, 5);
        for (int id = 0; id < 5; id++) {
            lists.append(0, id);
        }

        assertThat(lists.unlink(2)).isTrue();
        assertThat(lists.unlink(0)).isTrue();
        assertThat(lists.unlink(4)).isTrue();
        assertThat(lists.unlink(4)).isFalse();

        assertThat(walk(lists, 0)).containsExactly(1, 3);
        assertThat(lists.head(0)).isEqualTo(1);
        lists.append(0, 4); // the tail moved back to 3, so 4 goes after it
        assertThat(walk(lists, 0)).containsExactly(1, 3, 4);
        lists.checkInvariants();
    }

    @Test
    void append_idAlreadyListed_throwsAndKeepsTheLists() {
        BlockLists lists = new BlockLists(2, 2);
        lists.append(0, 1);

        assertThatThrownBy(() -> lists.append(1, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("id 1");
        assertThat(walk(lists, 0)).containsExactly(1);
        assertThat(lists.size(1)).isZero();
        lists.checkInvariants();
    }

    @Test
    void constructor_listCountOutOfRange_throws() {
        assertThatThrownBy(() -> new BlockLists(0, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BlockLists(128, 4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void grow_keepsTheListsAndAdmitsNewIds() {
        BlockLists lists = new BlockLists(2, 2);
        lists.append(1, 0);
        lists.append(1, 1);

        lists.grow(4);
        lists.append(1, 3);
        lists.append(0, 2);
        lists.unlink(0);

        assertThat(walk(lists, 1)).containsExactly(1, 3);
        assertThat(walk(lists, 0)).containsExactly(2);
        lists.checkInvariants();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void randomOperations_agreeWithOneListPerList(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int k = 1 + (int) (seed % 4);
        int ids = 8;
        BlockLists lists = new BlockLists(k, ids);
        List<List<Integer>> model = new ArrayList<>();
        for (int list = 0; list < k; list++) {
            model.add(new ArrayList<>());
        }
        for (int step = 0; step < 20_000; step++) {
            int id = random.nextInt(ids);
            int listed = listOf(model, id);
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    if (listed < 0) {
                        int list = random.nextInt(k);
                        lists.append(list, id);
                        model.get(list).add(id);
                    }
                }
                case 2 -> {
                    assertThat(lists.unlink(id)).isEqualTo(listed >= 0);
                    if (listed >= 0) {
                        model.get(listed).remove((Integer) id);
                    }
                }
                default -> {
                    if (ids < 64 && random.nextInt(50) == 0) {
                        ids += 4;
                        lists.grow(ids);
                    }
                }
            }
            for (int list = 0; list < k; list++) {
                assertThat(walk(lists, list)).isEqualTo(model.get(list));
                assertThat(lists.size(list)).isEqualTo(model.get(list).size());
            }
            for (int i = 0; i < ids; i++) {
                assertThat(lists.contains(i)).isEqualTo(listOf(model, i) >= 0);
            }
            lists.checkInvariants();
        }
    }

    private static List<Integer> walk(BlockLists lists, int list) {
        List<Integer> ids = new ArrayList<>();
        for (int id = lists.head(list); id != NIL; id = lists.next(id)) {
            ids.add(id);
        }
        return ids;
    }

    private static int listOf(List<List<Integer>> model, int id) {
        for (int list = 0; list < model.size(); list++) {
            if (model.get(list).contains(id)) {
                return list;
            }
        }
        return -1;
    }
}
