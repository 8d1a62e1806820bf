package io.kvbm.sequence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IndexRangeTest {

    @Test
    void of_validBounds_sizeContainsAndStream() {
        IndexRange range = IndexRange.of(2, 5);

        assertThat(range.size()).isEqualTo(3);
        assertThat(range.isEmpty()).isFalse();
        assertThat(range.contains(1)).isFalse();
        assertThat(range.contains(2)).isTrue();
        assertThat(range.contains(4)).isTrue();
        assertThat(range.contains(5)).isFalse();
        assertThat(range.stream()).containsExactly(2, 3, 4);
        assertThat(range).hasToString("[2, 5)");
    }

    @Test
    void empty_hasAPlaceButNoIndex() {
        IndexRange range = IndexRange.empty(3);

        assertThat(range.isEmpty()).isTrue();
        assertThat(range.start()).isEqualTo(3);
        assertThat(range.contains(3)).isFalse();
    }

    @Test
    void intersect_overlapOrEmpty() {
        assertThat(IndexRange.of(0, 4).intersect(IndexRange.of(2, 5))).isEqualTo(IndexRange.of(2, 4));
        assertThat(IndexRange.of(0, 2).intersect(IndexRange.of(2, 5)).isEmpty()).isTrue();
        assertThat(IndexRange.of(5, 7).intersect(IndexRange.of(0, 2)).isEmpty()).isTrue();
    }

    @Test
    void of_invalidBounds_throwNamingThem() {
        assertThatThrownBy(() -> IndexRange.of(-1, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[-1, 2)");
        assertThatThrownBy(() -> IndexRange.of(3, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[3, 2)");
    }
}
