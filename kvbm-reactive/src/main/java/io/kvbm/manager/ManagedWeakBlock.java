package io.kvbm.manager;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.WeakBlock;
import io.kvbm.tokens.SequenceHash;
import reactor.core.publisher.Mono;

/**
 * The {@link WeakBlock} of an entry. Holding the entry object keeps nothing alive: the slot's fate is decided by the
 * entry's reference count, and the store recognizes a stale entry by identity.
 */
final class ManagedWeakBlock implements WeakBlock {

    private final DrainLoop owner;
    private final ActiveEntry entry;

    ManagedWeakBlock(DrainLoop owner, ActiveEntry entry) {
        this.owner = owner;
        this.entry = entry;
    }

    @Override
    public SequenceHash sequenceHash() {
        return entry.hash;
    }

    @Override
    public int blockId() {
        return entry.blockId;
    }

    @Override
    public Mono<ImmutableBlock> upgrade() {
        return StoreMono.create(
                owner,
                loop -> {
                    loop.requireOpen("upgrade");
                    ActiveEntry live = loop.store.upgrade(entry);
                    return live == null ? null : loop.newHandle(live);
                },
                ImmutableBlock::close);
    }

    @Override
    public String toString() {
        return "WeakBlock[block=" + entry.blockId + ", " + entry.hash + ", manager=" + owner.id + "]";
    }
}
