package io.kvbm.transport.http;

import io.kvbm.event.EventBatch;

/**
 * One batch on its way to an SSE client, with what the wire needs to know about it.
 *
 * @param batch the batch
 * @param resumable whether the frame carries {@code id: seq}: a client that received it has everything up to
 *     {@code seq} and may resume after it. False for the frames of a snapshot but its last (and for every frame of a
 *     snapshot taken before the feed is {@linkplain EventFeed settled}), so that a client cut off in the middle of a
 *     snapshot never resumes from a half-received state.
 * @param replay whether the frame is part of what a client receives on connecting (a snapshot or the replay from the
 *     ring) rather than a live batch; replayed frames do not count against the client's buffer, since their number is
 *     bounded by the ring or the tier and counting them could cut off a client before it read anything
 */
record Frame(EventBatch batch, boolean resumable, boolean replay) {

    /** The weight of the frame in the client's buffer: a live batch weighs its events, replayed frames nothing. */
    int weight() {
        return replay ? 0 : batch.weight();
    }

    /** The same batch, delivered as part of a replay. */
    Frame asReplay() {
        return replay ? this : new Frame(batch, resumable, true);
    }
}
