package io.shardmesh.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The progress line: a fixed width whatever the figures, a rate from the first frame, no percentage without a total. */
class ProgressTest {

    private static final long MIB = 1 << 20;

    @Test
    void aKnownTotal_showsPercentBarBytesRateAndEta_atAFixedWidth() {
        String line = Progress.line("get x.bin", 64 * MIB, 256 * MIB, Duration.ofMillis(500), 100);
        assertThat(line).hasSize(100).startsWith("get x.bin   25% [").contains(" 64.0/256.0 MiB").contains("128.0 MiB/s")
                .contains("ETA    0:02");
        for (long done : new long[] {0, 1, 3 * MIB, 99 * MIB, 256 * MIB}) {
            for (long ms : new long[] {1, 300, 9_000, 4_000_000}) {
                String frame = Progress.line("get x.bin", done, 256 * MIB, Duration.ofMillis(ms), 100);
                assertThat(frame).as(frame).hasSize(100);
                assertThat(frame.indexOf(']')).as("the bar ends in the same column: " + frame).isEqualTo(line.indexOf(']'));
            }
        }
    }

    @Test
    void theFirstFrame_alreadyHasARate() {
        assertThat(Progress.line("put a", 3 * MIB, 10 * MIB, Duration.ofMillis(100), 90)).contains("30.0 MiB/s")
                .doesNotContain("?");
    }

    @Test
    void anUnknownTotal_showsBytesAndRateWithoutAPercentage() {
        String line = Progress.line("put stdin", 16 * MIB, -1, Duration.ofSeconds(2), 80);
        assertThat(line).hasSize(80).contains("16.0 MiB").contains("8.0 MiB/s").doesNotContain("%").doesNotContain("?")
                .doesNotContain("ETA");
    }

    @Test
    void aNarrowTerminal_dropsTheBarButKeepsTheWidth() {
        String line = Progress.line("get a-rather-long-file-name.bin", 5 * MIB, 10 * MIB, Duration.ofSeconds(1), 40);
        assertThat(line).hasSize(40);
    }
}
