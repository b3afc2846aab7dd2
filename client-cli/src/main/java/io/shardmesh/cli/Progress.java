package io.shardmesh.cli;

import java.time.temporal.ChronoUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar (bytes, rate, ETA) on stderr, shown only when stderr is a terminal and neither
 * {@code --quiet} nor {@code --json} is given; otherwise every method does nothing. Callers feed
 * it honest counts: bytes whose shards were all stored (put), or bytes that passed their shard
 * hashes (get), never bytes merely read or requested.
 */
final class Progress implements AutoCloseable {

    /** Set by the launcher ({@code [ -t 2 ]}): Java 17 cannot ask whether stderr is a terminal. */
    static final String STDERR_TTY_PROPERTY = "shardmesh.stderr.tty";

    /** The terminal's width, also from the launcher ({@code stty size}). */
    static final String STDERR_COLUMNS_PROPERTY = "shardmesh.stderr.columns";

    private static final Progress NONE = new Progress(null);

    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar for {@code task} over {@code totalBytes} (negative when unknown, as for stdin). */
    static Progress start(String task, long totalBytes, GlobalOptions global) {
        if (global.quiet || global.json || !Boolean.getBoolean(STDERR_TTY_PROPERTY)) {
            return NONE;
        }
        return new Progress(new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(totalBytes < 0 ? -1 : totalBytes)
                .setUnit("MiB", 1 << 20)
                .showSpeed()
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200)
                // An explicit width: asking the library to measure the terminal would open a JLine
                // terminal, whose signal handlers make Ctrl-C skip the shutdown hooks (and a get's
                // clean-up of its partial file).
                .setConsumer(new ConsoleProgressBarConsumer(System.err,
                        Math.max(40, Integer.getInteger(STDERR_COLUMNS_PROPERTY, 80) - 1)))
                .clearDisplayOnFinish()
                .build());
    }

    /** Counts {@code bytes} more as done. Thread-safe. */
    void add(long bytes) {
        if (bar != null) {
            bar.stepBy(bytes);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
