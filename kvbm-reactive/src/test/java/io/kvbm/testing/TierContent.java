package io.kvbm.testing;

import io.kvbm.event.EventBatch;
import io.kvbm.event.EventKind;
import io.kvbm.manager.BlockManager;
import io.kvbm.tokens.SequenceHash;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import reactor.test.subscriber.TestSubscriber;

/**
 * What a tier holds, learned the way an event consumer learns it: the referee of end-to-end event tests.
 *
 * <p>{@link #of(BlockManager)} takes a fresh {@code eventsWithSnapshot()} subscription and replays its snapshot, so
 * the answer is the manager's own account of its content at one step of its drain loop (as
 * {@code EventsWithSnapshotRaceTest} does). {@link #replay(List)} applies batches in order, as a consumer would.
 */
public final class TierContent {

    private TierContent() {}

    /**
     * The hashes {@code manager} holds now, from an {@code eventsWithSnapshot()} subscription. Call it from the test
     * thread while nothing else operates on the manager, so that "now" is well defined.
     */
    public static Set<SequenceHash> of(BlockManager manager) {
        TestSubscriber<EventBatch> referee = TestSubscriber.create();
        manager.eventsWithSnapshot().subscribe(referee);
        // the snapshot is attached in the drain loop; an operation queued after it completes once it was delivered
        manager.scan(List.of()).block(TestBlocks.TIMEOUT);
        referee.cancel();
        List<EventBatch> batches = referee.getReceivedOnNext();
        if (batches.isEmpty() || !batches.get(0).startsSnapshot()) {
            throw new AssertionError("eventsWithSnapshot() did not start with a snapshot: " + batches);
        }
        return replay(batches);
    }

    /** Applies batches in order: a snapshot start forgets everything, STORED adds, REMOVED and CLEARED remove. */
    public static Set<SequenceHash> replay(List<EventBatch> batches) {
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
}
