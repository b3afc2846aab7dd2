package io.shardmesh.cli;

import io.shardmesh.common.error.ErrorKind;

/** The exit codes of DESIGN.md's command-line contract. */
public final class ExitCodes {

    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int USAGE = 2;
    public static final int NOT_FOUND = 3;
    public static final int INTEGRITY = 4;
    public static final int UNAVAILABLE = 5;
    /** Stopped by Ctrl-C in the shell: 128 + SIGINT, as a shell reports it. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }

    /** The exit code for a failure of this kind. */
    public static int of(ErrorKind kind) {
        return switch (kind) {
            case NOT_FOUND -> NOT_FOUND;
            case DATA_LOSS -> INTEGRITY;
            case UNAVAILABLE, DEADLINE_EXCEEDED -> UNAVAILABLE;
            case PERMISSION_DENIED -> ERROR;
            case INVALID_ARGUMENT -> USAGE;
            default -> ERROR;
        };
    }
}
