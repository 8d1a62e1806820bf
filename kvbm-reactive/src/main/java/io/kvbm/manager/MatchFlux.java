package io.kvbm.manager;

import io.kvbm.block.ImmutableBlock;
import io.kvbm.internal.Signals;
import io.kvbm.tokens.SequenceHash;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * The cold {@link Flux} of {@link BlockManager#match}: one atomic prefix lookup per subscription, then the hits
 * emitted as requested.
 *
 * <p>The lookup runs in the drain loop at subscription, whatever the demand, so the prefix is a consistent snapshot.
 * Emission honours backpressure and is serialized by its own work counter, separate from the manager's; the thread
 * that wins it also closes every handle not yet emitted once the subscriber cancels, so no handle is left behind.
 */
final class MatchFlux extends Flux<ImmutableBlock> implements Scannable {

    static Flux<ImmutableBlock> create(DrainLoop loop, SequenceHash[] hashes) {
        return onAssembly(new MatchFlux(loop, hashes));
    }

    private final DrainLoop loop;
    private final SequenceHash[] hashes;

    private MatchFlux(DrainLoop loop, SequenceHash[] hashes) {
        this.loop = loop;
        this.hashes = hashes;
    }

    @Override
    public void subscribe(CoreSubscriber<? super ImmutableBlock> actual) {
        MatchSubscription subscription = new MatchSubscription(loop, hashes, actual);
        actual.onSubscribe(subscription);
        loop.execute(subscription);
    }

    @Override
    public @Nullable Object scanUnsafe(Attr key) {
        return key == Attr.RUN_STYLE ? Attr.RunStyle.SYNC : null;
    }

    static final class MatchSubscription implements Subscription, Runnable, Scannable {

        private static final AtomicIntegerFieldUpdater<MatchSubscription> WIP =
                AtomicIntegerFieldUpdater.newUpdater(MatchSubscription.class, "wip");
        private static final AtomicLongFieldUpdater<MatchSubscription> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(MatchSubscription.class, "requested");

        private final DrainLoop loop;
        private final SequenceHash[] hashes;
        private final CoreSubscriber<? super ImmutableBlock> actual;

        private volatile int wip;
        private volatile long requested;
        private volatile boolean cancelled;
        private volatile ImmutableBlock @Nullable [] found;
        private volatile @Nullable Throwable error;
        private volatile @Nullable Throwable badRequest; // written before cancelled
        private boolean badRequestSignalled; // emission-loop only
        private int index; // emission-loop only
        private boolean terminated; // emission-loop only

        MatchSubscription(DrainLoop loop, SequenceHash[] hashes, CoreSubscriber<? super ImmutableBlock> actual) {
            this.loop = loop;
            this.hashes = hashes;
            this.actual = actual;
        }

        @Override
        public void run() {
            if (cancelled) {
                return; // nothing looked up, nothing to give back
            }
            try {
                found = loop.match(hashes);
            } catch (Throwable t) {
                Exceptions.throwIfJvmFatal(t);
                error = t;
            }
            drain();
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                // Rule 3.9: cancel, then let the emission loop close what is left and signal the error.
                if (!cancelled) {
                    badRequest = Exceptions.nullOrNegativeRequestException(n);
                    cancelled = true;
                    drain();
                }
                return;
            }
            Operators.addCap(REQUESTED, this, n);
            drain();
        }

        @Override
        public void cancel() {
            cancelled = true;
            drain();
        }

        private void drain() {
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            for (; ; ) {
                if (!terminated) {
                    emit();
                }
                missed = WIP.addAndGet(this, -missed);
                if (missed == 0) {
                    return;
                }
            }
        }

        private void emit() {
            ImmutableBlock[] blocks = found;
            if (cancelled) {
                if (blocks != null) {
                    terminated = true;
                    for (int i = index; i < blocks.length; i++) {
                        blocks[i].close();
                        blocks[i] = null;
                    }
                }
                Throwable bad = badRequest;
                if (bad != null && !badRequestSignalled) {
                    // not `terminated`: a lookup still running must find this loop alive to close its handles
                    badRequestSignalled = true;
                    Signals.error(actual, bad);
                }
                return;
            }
            Throwable e = error;
            if (e != null) {
                terminated = true;
                Signals.error(actual, e);
                return;
            }
            if (blocks == null) {
                return; // lookup not done yet
            }
            long r = requested;
            long emitted = 0;
            while (index < blocks.length && emitted < r) {
                if (cancelled) {
                    return; // the next pass closes what is left
                }
                ImmutableBlock block = blocks[index];
                blocks[index++] = null;
                if (!Signals.next(actual, block)) {
                    // §2.13: a subscriber that throws is cancelled; it keeps this block, the rest goes back now
                    cancelled = true;
                    emit();
                    return;
                }
                emitted++;
            }
            if (emitted != 0 && r != Long.MAX_VALUE) {
                REQUESTED.addAndGet(this, -emitted);
            }
            if (index == blocks.length && !cancelled) {
                terminated = true;
                Signals.complete(actual);
            }
        }

        @Override
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.CANCELLED) {
                return cancelled;
            }
            if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
                return requested;
            }
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.SYNC;
            }
            return null;
        }
    }
}
