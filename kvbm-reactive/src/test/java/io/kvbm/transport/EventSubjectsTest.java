package io.kvbm.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventSubjectsTest {

    @org.junit.jupiter.api.Test
    void subjects_withAndWithoutPrefix_followTheDocumentedLayout() {
        assertThat(EventSubjects.events(null)).isEqualTo("kvbm.events");
        assertThat(EventSubjects.events("tenant-a")).isEqualTo("tenant-a.kvbm.events");
        assertThat(EventSubjects.resync(null, 42)).isEqualTo("kvbm.resync.42");
        assertThat(EventSubjects.resync("x.y", -1)).isEqualTo("x.y.kvbm.resync.18446744073709551615");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".a", "a.", "a..b", "a b", "a.*", "a.>"})
    void events_invalidPrefix_rejectedWithTheValue(String prefix) {
        assertThatThrownBy(() -> EventSubjects.events(prefix))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("subjectPrefix")
                .hasMessageContaining("'" + prefix + "'");
    }
}
