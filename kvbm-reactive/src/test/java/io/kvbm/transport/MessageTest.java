package io.kvbm.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MessageTest {

    @Test
    void payload_changedByEitherSide_messageKeepsItsBytes() {
        byte[] bytes = {1, 2, 3};
        Message message = new Message("a.b", bytes);
        bytes[0] = 9;
        message.payload()[1] = 9;
        assertThat(message.payload()).containsExactly(1, 2, 3);
        assertThat(message.size()).isEqualTo(3);
    }

    @Test
    void equals_sameSubjectAndBytes_equalAndSameHash() {
        Message a = new Message("a.b", new byte[] {1, 2});
        Message b = new Message("a.b", new byte[] {1, 2});
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(new Message("a.c", new byte[] {1, 2}));
        assertThat(a).isNotEqualTo(new Message("a.b", new byte[] {1, 3}));
        assertThat(a.toString()).contains("a.b", "2 bytes");
    }

    @Test
    void constructor_nulls_rejectedNamingTheField() {
        assertThatThrownBy(() -> new Message(null, new byte[0])).hasMessageContaining("subject");
        assertThatThrownBy(() -> new Message("s", null)).hasMessageContaining("payload");
    }
}
