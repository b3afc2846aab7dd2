package io.shardmesh.common.error;

import static java.util.Objects.requireNonNull;

/**
 * A failure with a kind that callers act on. Messages are written for the person who reads
 * them at the other end: they name the value and what was expected.
 */
public class MeshException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;

    public MeshException(ErrorKind kind, String message) {
        this(kind, message, null);
    }

    public MeshException(ErrorKind kind, String message, Throwable cause) {
        super(requireNonNull(message, "message"), cause);
        this.kind = requireNonNull(kind, "kind");
    }

    public ErrorKind kind() {
        return kind;
    }

    public static MeshException invalidArgument(String message) {
        return new MeshException(ErrorKind.INVALID_ARGUMENT, message);
    }

    public static MeshException notFound(String message) {
        return new MeshException(ErrorKind.NOT_FOUND, message);
    }

    public static MeshException outOfRange(String message) {
        return new MeshException(ErrorKind.OUT_OF_RANGE, message);
    }

    public static MeshException dataLoss(String message) {
        return new MeshException(ErrorKind.DATA_LOSS, message);
    }

    public static MeshException resourceExhausted(String message) {
        return new MeshException(ErrorKind.RESOURCE_EXHAUSTED, message);
    }

    public static MeshException unavailable(String message) {
        return new MeshException(ErrorKind.UNAVAILABLE, message);
    }

    public static MeshException unavailable(String message, Throwable cause) {
        return new MeshException(ErrorKind.UNAVAILABLE, message, cause);
    }

    public static MeshException deadlineExceeded(String message) {
        return new MeshException(ErrorKind.DEADLINE_EXCEEDED, message);
    }

    public static MeshException permissionDenied(String message) {
        return new MeshException(ErrorKind.PERMISSION_DENIED, message);
    }

    public static MeshException failedPrecondition(String message) {
        return new MeshException(ErrorKind.FAILED_PRECONDITION, message);
    }

    public static MeshException internal(String message, Throwable cause) {
        return new MeshException(ErrorKind.INTERNAL, message, cause);
    }
}
