package io.shardmesh.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

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
    private final AtomicBoolean closed = new AtomicBoolean();

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
                .setRenderer((state, width) -> line(state.getTaskName(), state.getCurrent(),
                        state.isIndefinite() ? -1 : state.getMax(), state.getElapsedAfterStart(), width))
                .setUpdateIntervalMillis(200)
                // An explicit width: asking the library to measure the terminal would open a JLine
                // terminal, whose signal handlers make Ctrl-C skip the shutdown hooks (and a get's
                // clean-up of its partial file).
                .setConsumer(new ConsoleProgressBarConsumer(System.err,
                        Math.max(40, Integer.getInteger(STDERR_COLUMNS_PROPERTY, 80) - 1)))
                .clearDisplayOnFinish()
                .build());
    }

    /**
     * One frame, exactly {@code width} characters whatever the figures, so the line never jumps:
     * {@code get x.bin  42% [=====>     ]  107.5/256.0 MiB  210.3 MiB/s  ETA 0:01}, or with an
     * unknown total (standard input) the bytes and the rate alone. The rate is over the whole
     * transfer so far, with one decimal, from the first frame.
     */
    static String line(String task, long current, long total, Duration elapsed, int width) {
        double seconds = Math.max(elapsed.toNanos(), 1) / 1e9;
        double rate = current / seconds;
        String mib = total < 0 ? mib(current) : mib(current) + "/" + mib(total);
        String speed = String.format(Locale.ROOT, "%7.1f MiB/s", rate / (1 << 20));
        StringBuilder b = new StringBuilder(task).append("  ");
        if (total < 0) {
            b.append(String.format(Locale.ROOT, "%9s MiB  %s", mib, speed));
        } else {
            double done = total == 0 ? 1 : Math.min(1, (double) current / total);
            String eta = rate <= 0 ? "-:--" : clock(Duration.ofSeconds((long) Math.ceil((total - current) / rate)));
            String format = "  %" + (2 * mib(total).length() + 1) + "s MiB  %s  ETA %7s";
            String tail = String.format(Locale.ROOT, format, mib, speed, eta);
            // The bar's width from the usual width of the figures: a figure that outgrows its
            // column (a rate past 99,999 MiB/s, an ETA of weeks) is cut at the end; the bar stays.
            int usual = String.format(Locale.ROOT, format, mib, String.format(Locale.ROOT, "%7.1f MiB/s", 0.0), "0:00").length();
            String percent = String.format(Locale.ROOT, "%3d%% ", (int) Math.floor(done * 100));
            int bar = width - b.length() - percent.length() - usual - 2;
            b.append(percent);
            if (bar >= 5) {
                int filled = (int) Math.floor(done * bar);
                b.append('[').append("=".repeat(filled)).append(filled < bar ? ">" : "")
                        .append(" ".repeat(Math.max(0, bar - filled - 1))).append(']');
            }
            b.append(tail);
        }
        if (b.length() > width) {
            return b.substring(0, width);
        }
        return b.append(" ".repeat(width - b.length())).toString();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (double) (1 << 20));
    }

    private static String clock(Duration d) {
        long s = d.getSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** Counts {@code bytes} more as done. Thread-safe. */
    void add(long bytes) {
        if (bar != null) {
            bar.stepBy(bytes);
        }
    }

    /** Takes the bar off the screen; once, from any thread (a shutdown hook, the command). */
    @Override
    public void close() {
        if (bar != null && closed.compareAndSet(false, true)) {
            bar.close();
        }
    }
}
