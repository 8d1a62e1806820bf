package io.kvbm.manager;

import io.kvbm.tokens.SequenceHash;

/** What the store tells the event machinery, from inside the drain loop, as slots change state. */
interface StoreEvents {

    /** Does nothing: the store of a manager nobody listens to. */
    StoreEvents NONE = new StoreEvents() {
        @Override
        public void stored(SequenceHash hash) {}

        @Override
        public void removed(SequenceHash hash) {}

        @Override
        public void cleared(SequenceHash hash) {}
    };

    /** The first block with {@code hash} became registered in this manager. */
    void stored(SequenceHash hash);

    /** The last block with {@code hash} left this manager (evicted, or released to the reset pool). */
    void removed(SequenceHash hash);

    /** {@code hash} was dropped from the inactive pool by {@code resetInactive()} or by closing the manager. */
    void cleared(SequenceHash hash);
}
