package io.kvbm.sequence;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The three ordered phases a block id goes through while it is assigned to a sequence: {@code unassigned → staged →
 * assigned}, each holding a value of its own type (kvbm's {@code store.rs::BlockStore<U, S, A>}).
 *
 * <p>Not thread-safe; owned by one {@link ExternalBlockAssignments} or {@link LogicalBlockAssignments}.
 */
final class AssignmentStore<U, S, A> {

    /*
     * Each phase is an insertion-ordered list with O(1) positional access, append, pop-front (FIFO shift, how ids move
     * to the next phase) and pop-back (LIFO, how excess unassigned blocks are dropped). An id lives in at most one
     * phase at a time; one map from id to phase answers contains() for all three in O(1) and is the single place that
     * enforces uniqueness. Callers validate before they mutate (validate-then-commit), so the store itself never
     * sees a duplicate insert: add*() on a held id is a programming error and throws.
     */

    /** An id and the value its phase holds for it. */
    record Entry<V>(int id, V value) {}

    private static final Byte UNASSIGNED = 0;
    private static final Byte STAGED = 1;
    private static final Byte ASSIGNED = 2;

    final Phase<U> unassigned = new Phase<>();
    final Phase<S> staged = new Phase<>();
    final Phase<A> assigned = new Phase<>();
    private final Map<Integer, Byte> phaseOf = new HashMap<>();

    boolean contains(int id) {
        return phaseOf.containsKey(id);
    }

    boolean isEmpty() {
        return phaseOf.isEmpty();
    }

    void addUnassigned(int id, U value) {
        claim(id, UNASSIGNED);
        unassigned.addLast(new Entry<>(id, value));
    }

    void addStaged(int id, S value) {
        claim(id, STAGED);
        staged.addLast(new Entry<>(id, value));
    }

    void addAssigned(int id, A value) {
        claim(id, ASSIGNED);
        assigned.addLast(new Entry<>(id, value));
    }

    /** Removes the oldest unassigned entry (FIFO). */
    Entry<U> shiftUnassigned() {
        return forget(unassigned.removeFirst());
    }

    /** Removes the newest unassigned entry (LIFO). */
    Entry<U> popUnassigned() {
        return forget(unassigned.removeLast());
    }

    /** Removes the oldest staged entry (FIFO). */
    Entry<S> shiftStaged() {
        return forget(staged.removeFirst());
    }

    /**
     * Returns the first id of {@code ids} that is already held or appears earlier in {@code ids}, or empty when all
     * are new and distinct.
     */
    OptionalInt firstDuplicate(List<Integer> ids) {
        Set<Integer> seen = new HashSet<>();
        for (Integer id : ids) {
            if (contains(id) || !seen.add(id)) {
                return OptionalInt.of(id);
            }
        }
        return OptionalInt.empty();
    }

    /** Every held id: assigned, then staged, then unassigned, each in order. */
    List<Integer> allIds() {
        List<Integer> ids = new ArrayList<>(phaseOf.size());
        assigned.addIdsTo(ids);
        staged.addIdsTo(ids);
        unassigned.addIdsTo(ids);
        return ids;
    }

    List<Entry<A>> takeAssigned() {
        return forgetAll(assigned.take());
    }

    List<Entry<S>> takeStaged() {
        return forgetAll(staged.take());
    }

    List<Entry<U>> takeUnassigned() {
        return forgetAll(unassigned.take());
    }

    void clear() {
        unassigned.clear();
        staged.clear();
        assigned.clear();
        phaseOf.clear();
    }

    private void claim(int id, Byte phase) {
        Byte previous = phaseOf.putIfAbsent(id, phase);
        if (previous != null) {
            throw new IllegalStateException("block id " + id + " is already held (phase " + previous + ")");
        }
    }

    private <V> Entry<V> forget(Entry<V> entry) {
        phaseOf.remove(entry.id());
        return entry;
    }

    private <V> List<Entry<V>> forgetAll(List<Entry<V>> entries) {
        for (Entry<V> entry : entries) {
            phaseOf.remove(entry.id());
        }
        return entries;
    }

    /** An ordered list with O(1) positional access, append, pop-front and pop-back. */
    static final class Phase<V> {

        // Entries live in items[head, items.size()); removeFirst() advances head and compacts now and then.
        private final ArrayList<Entry<V>> items = new ArrayList<>();
        private int head;

        int size() {
            return items.size() - head;
        }

        boolean isEmpty() {
            return size() == 0;
        }

        Entry<V> get(int index) {
            return items.get(head + Objects.checkIndex(index, size()));
        }

        void addLast(Entry<V> entry) {
            items.add(entry);
        }

        Entry<V> removeFirst() {
            if (isEmpty()) {
                throw new NoSuchElementException("the phase is empty");
            }
            Entry<V> entry = items.set(head++, null);
            if (head == items.size()) {
                clear();
            } else if (head >= 16 && 2 * head >= items.size()) {
                items.subList(0, head).clear();
                head = 0;
            }
            return entry;
        }

        Entry<V> removeLast() {
            if (isEmpty()) {
                throw new NoSuchElementException("the phase is empty");
            }
            Entry<V> entry = items.remove(items.size() - 1);
            if (head == items.size()) {
                clear();
            }
            return entry;
        }

        List<Entry<V>> entries() {
            return Collections.unmodifiableList(new ArrayList<>(items.subList(head, items.size())));
        }

        List<V> values() {
            List<V> values = new ArrayList<>(size());
            for (int i = head; i < items.size(); i++) {
                values.add(items.get(i).value());
            }
            return Collections.unmodifiableList(values);
        }

        void addIdsTo(List<Integer> ids) {
            for (int i = head; i < items.size(); i++) {
                ids.add(items.get(i).id());
            }
        }

        List<Entry<V>> take() {
            List<Entry<V>> taken = entries();
            clear();
            return taken;
        }

        void clear() {
            items.clear();
            head = 0;
        }
    }
}
