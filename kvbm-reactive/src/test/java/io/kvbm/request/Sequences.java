package io.kvbm.request;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvbm.block.CompleteBlock;
import io.kvbm.block.ImmutableBlock;
import io.kvbm.block.MutableBlock;
import io.kvbm.manager.BlockManager;
import io.kvbm.testing.TestManagers;
import io.kvbm.testing.TestTokens;
import io.kvbm.tokens.TokenBlock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Shortcuts for the schedulable-sequence tests; they block, so call them from the test thread only. */
final class Sequences {

    static final Duration TIMEOUT = Duration.ofSeconds(10);
    static final int BS = TestManagers.BLOCK_SIZE;

    private Sequences() {}

    /** A delegate that records every event. */
    static final class Recorder implements SequenceDelegate {
        final List<SequenceEvent> events = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(SequenceEvent event) {
            events.add(event);
        }

        List<SequenceEvent.Kind> kinds() {
            return events.stream().map(SequenceEvent::kind).toList();
        }

        SequenceEvent last() {
            return events.get(events.size() - 1);
        }
    }

    /** A sequence of {@code inputTokens} prompt tokens 0, 1, ... with block size 4. */
    static SchedulableSequence build(int inputTokens, int maxOutputTokens) {
        return build(inputTokens, maxOutputTokens, SequenceDelegate.noop());
    }

    static SchedulableSequence build(int inputTokens, int maxOutputTokens, SequenceDelegate delegate) {
        return SchedulableSequence.builder()
                .tokens(TestTokens.range(0, inputTokens))
                .maxOutputTokens(maxOutputTokens)
                .blockSize(BS)
                .delegate(delegate)
                .build();
    }

    /** Prefills the whole prompt in one chunk, with {@code firstToken} as the model's first token. */
    static void prefill(SchedulableSequence seq, BlockManager m, int firstToken) {
        seq.schedulePrefill(seq.numInputTokens() - seq.prefillPosition(), m).block(TIMEOUT);
        seq.applyPrefill(firstToken, m).block(TIMEOUT);
    }

    /** One decode step. */
    static DecodeOutcome decode(SchedulableSequence seq, BlockManager m, int token) {
        seq.scheduleDecode(m).block(TIMEOUT);
        return seq.applyDecode(token, m).block(TIMEOUT);
    }

    /** Registers the given complete blocks in {@code m} and closes the handles: they stay cached. */
    static void cache(BlockManager m, List<TokenBlock> blocks) {
        List<MutableBlock> fresh = m.tryAllocate(blocks.size()).block(TIMEOUT);
        assertThat(fresh).isNotNull();
        List<CompleteBlock> staged = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            staged.add(fresh.get(i).complete(blocks.get(i)));
        }
        m.registerAll(staged).block(TIMEOUT).forEach(ImmutableBlock::close);
    }
}
