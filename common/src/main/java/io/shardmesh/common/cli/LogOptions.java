package io.shardmesh.common.cli;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * {@code -v} and {@code --log-level}, for every command. Logback reads the level from the system
 * property {@value #PROPERTY} when it starts, which is before picocli parses anything, so
 * {@link #apply} reads the same options from the raw arguments first; the fields below are for
 * picocli's help and validation.
 */
public final class LogOptions {

    /** The system property the log configuration (LogConfigurator) takes the io.shardmesh level from. */
    public static final String PROPERTY = "shardmesh.log.level";

    /** The levels, lowest volume first. */
    public enum Level { ERROR, WARN, INFO, DEBUG, TRACE }

    @Option(names = {"-v", "--verbose"}, description = "Show stack traces of errors, and debug logs.")
    boolean verbose;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Log level: ${COMPLETION-CANDIDATES} (default: info for node and up, warn otherwise).")
    Level level;

    /** Whether {@code -v} was given. */
    public boolean verbose() {
        return verbose;
    }

    /**
     * Sets {@value #PROPERTY} from {@code args} ({@code --log-level L}, {@code --log-level=L},
     * or {@code -v} for debug); without them keeps a valid level already set (for example in
     * SHARDMESH_JAVA_OPTS), else uses {@code fallback}. Call before anything logs. An unknown
     * level in the arguments is left for picocli to report; Logback never sees one (it would
     * fall back to DEBUG).
     */
    public static void apply(String[] args, Level fallback) {
        Level chosen = null;
        List<String> a = List.of(args);
        if (a.contains("-v") || a.contains("--verbose")) {
            chosen = Level.DEBUG;
        }
        for (int i = 0; i < a.size(); i++) {
            String value = a.get(i).startsWith("--log-level=") ? a.get(i).substring("--log-level=".length())
                    : a.get(i).equals("--log-level") && i + 1 < a.size() ? a.get(i + 1) : null;
            if (value != null) {
                chosen = parse(value);
            }
        }
        if (chosen == null) {
            String preset = System.getProperty(PROPERTY);
            chosen = preset == null ? null : parse(preset);
        }
        System.setProperty(PROPERTY, (chosen == null ? fallback : chosen).name());
    }

    private static Level parse(String value) {
        try {
            return Level.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
