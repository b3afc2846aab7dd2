package io.shardmesh.common.units;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest
    @CsvSource({"0, 0", "1024, 1024", "1KiB, 1024", "1MiB, 1048576", "1M, 1048576", "1mib, 1048576",
        "10GiB, 10737418240", "500MB, 500000000", "2 KB, 2000", "7b, 7", "1TiB, 1099511627776"})
    void parse_acceptedForms_giveBytes(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "1.5MiB", "MiB", "1 XiB", "99999999999999999999", "9999999999999TiB"})
    void parse_garbage_isRejectedNamingTheValue(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @CsvSource({"0, 0 B", "1023, 1023 B", "1024, 1.0 KiB", "1572864, 1.5 MiB", "1073741824, 1.0 GiB"})
    void format_usesBinaryUnits(long bytes, String text) {
        assertThat(Sizes.format(bytes)).isEqualTo(text);
    }
}
