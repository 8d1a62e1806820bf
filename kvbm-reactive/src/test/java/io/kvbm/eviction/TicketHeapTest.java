package io.kvbm.eviction;

import static io.kvbm.eviction.TicketHeap.NONE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The indexed ticket heap of the FIFO and lineage indices, against a {@link TreeSet} of {@code (ticket, id)}. */
class TicketHeapTest {

    @Test
    void peekAndPoll_emptyHeap_returnNone() {
        TicketHeap heap = new TicketHeap(4, 4);

        assertThat(heap.peek()).isEqualTo(NONE);
        assertThat(heap.poll()).isEqualTo(NONE);
        assertThat(heap.size()).isZero();
    }

    @Test
    void poll_distinctTickets_returnsIdsInTicketOrder() {
        TicketHeap heap = new TicketHeap(6, 6);
        heap.add(3, 30);
        heap.add(0, 50);
        heap.add(5, -7);
        heap.add(1, 10);
        heap.add(4, Long.MAX_VALUE);
        heap.add(2, Long.MIN_VALUE);

        assertThat(heap.peek()).isEqualTo(2);
        int[] order = new int[6];
        for (int i = 0; i < order.length; i++) {
            order[i] = heap.poll();
        }
        assertThat(order).containsExactly(2, 5, 1, 3, 0, 4);
        assertThat(heap.poll()).isEqualTo(NONE);
    }

    @Test
    void remove_middleMember_keepsTheOthersInOrder() {
        TicketHeap heap = new TicketHeap(8, 8);
        for (int id = 0; id < 8; id++) {
            heap.add(id, 100 - id);
        }

        assertThat(heap.remove(4)).isTrue();
        assertThat(heap.contains(4)).isFalse();
        assertThat(heap.remove(4)).isFalse();
        heap.checkInvariants();
        assertThat(heap.size()).isEqualTo(7);
        StringBuilder order = new StringBuilder();
        for (int id = heap.poll(); id != NONE; id = heap.poll()) {
            order.append(id);
        }
        assertThat(order).hasToString("7653210");
    }

    @Test
    void add_withoutTicket_returnsToTheTicketItHad() {
        TicketHeap heap = new TicketHeap(3, 3);
        heap.add(0, 1);
        heap.add(1, 2);
        heap.add(2, 3);

        heap.remove(0);
        heap.add(0);

        assertThat(heap.ticket(0)).isEqualTo(1);
        assertThat(heap.poll()).isZero();
    }

    @Test
    void setTicket_absentId_movesItsPlace() {
        TicketHeap heap = new TicketHeap(2, 2);
        heap.add(0, 1);
        heap.add(1, 2);

        heap.remove(0);
        heap.setTicket(0, 3);
        heap.add(0);

        assertThat(heap.poll()).isEqualTo(1);
        assertThat(heap.poll()).isZero();
    }

    @Test
    void addOrSetTicket_presentId_throwsAndKeepsTheHeap() {
        TicketHeap heap = new TicketHeap(2, 2);
        heap.add(0, 5);

        assertThatThrownBy(() -> heap.add(0, 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("id 0");
        assertThatThrownBy(() -> heap.add(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> heap.setTicket(0, 1)).isInstanceOf(IllegalStateException.class);
        assertThat(heap.ticket(0)).isEqualTo(5);
        assertThat(heap.size()).isEqualTo(1);
        heap.checkInvariants();
    }

    @Test
    void constructor_maxSizeOutsideTheIdRange_throws() {
        assertThatThrownBy(() -> new TicketHeap(2, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TicketHeap(2, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void grow_keepsMembersAndTicketsAndAdmitsNewIds() {
        TicketHeap heap = new TicketHeap(2, 2);
        heap.add(0, 20);
        heap.setTicket(1, 5); // a remembered ticket of an id out of the heap survives growth too

        heap.grow(4);
        heap.add(3, 10);
        heap.remove(0);
        heap.add(1);

        assertThat(heap.contains(3)).isTrue();
        assertThat(heap.contains(2)).isFalse();
        assertThat(heap.ticket(0)).isEqualTo(20);
        assertThat(heap.poll()).isEqualTo(1);
        assertThat(heap.poll()).isEqualTo(3);
        heap.checkInvariants();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomOperations_agreeWithATreeSet(long seed) {
        // Few ids and a narrow ticket range: many ties, removals from every position, re-adds at remembered tickets.
        SplittableRandom random = new SplittableRandom(seed);
        int capacity = 8;
        int maxSize = 6;
        TicketHeap heap = new TicketHeap(capacity, maxSize);
        TreeSet<long[]> model =
                new TreeSet<>(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        Map<Integer, Long> tickets = new HashMap<>(); // the ticket each id last had
        long[][] entry = new long[64][]; // id -> its model entry while it is in the heap
        for (int step = 0; step < 20_000; step++) {
            int id = random.nextInt(capacity);
            switch (random.nextInt(6)) {
                case 0, 1 -> {
                    if (entry[id] == null && model.size() < maxSize) {
                        boolean reuse = tickets.containsKey(id) && random.nextBoolean();
                        long ticket = reuse ? tickets.get(id) : random.nextLong(-8, 24);
                        if (reuse) {
                            heap.add(id);
                        } else {
                            heap.add(id, ticket);
                        }
                        tickets.put(id, ticket);
                        entry[id] = new long[] {ticket, id};
                        model.add(entry[id]);
                    }
                }
                case 2 -> {
                    assertThat(heap.remove(id)).isEqualTo(entry[id] != null);
                    if (entry[id] != null) {
                        model.remove(entry[id]);
                        entry[id] = null;
                    }
                }
                case 3 -> {
                    int polled = heap.poll();
                    if (model.isEmpty()) {
                        assertThat(polled).isEqualTo(NONE);
                    } else {
                        // Any id with the smallest ticket: ties have no order.
                        assertThat(entry[polled]).isNotNull();
                        assertThat(entry[polled][0]).isEqualTo(model.first()[0]);
                        model.remove(entry[polled]);
                        entry[polled] = null;
                    }
                }
                case 4 -> {
                    if (entry[id] == null) {
                        long ticket = random.nextLong(-8, 24);
                        heap.setTicket(id, ticket);
                        tickets.put(id, ticket);
                    }
                }
                default -> {
                    if (capacity < entry.length && random.nextInt(50) == 0) {
                        capacity += 4;
                        heap.grow(capacity);
                    }
                }
            }
            assertThat(heap.size()).isEqualTo(model.size());
            int top = heap.peek();
            assertThat(top == NONE ? null : heap.ticket(top)).isEqualTo(model.isEmpty() ? null : model.first()[0]);
            for (int i = 0; i < capacity; i++) {
                assertThat(heap.contains(i)).isEqualTo(entry[i] != null);
                if (tickets.containsKey(i)) {
                    assertThat(heap.ticket(i)).isEqualTo(tickets.get(i));
                }
            }
            heap.checkInvariants();
        }
    }
}
