package io.shardmesh.common.grpc;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.log.NodeLog;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;

/**
 * The single mapping between failures and gRPC statuses (DESIGN.md, "Errors"), wired into every
 * service's {@code onErrorMap} and used by every client to turn a status back into a
 * {@link MeshException}.
 *
 * <p>UNKNOWN never leaves a node: a failure without a kind becomes INTERNAL with a generic
 * description, and its stack trace goes to the node's log, never into trailers.
 */
public final class StatusMapper {

    private static final Logger log = NodeLog.logger(StatusMapper.class);

    private StatusMapper() {
    }

    /** The status to send for {@code error}; the result carries no cause. */
    public static StatusRuntimeException toStatusException(Throwable error) {
        return toStatus(error).asRuntimeException();
    }

    /** The status to send for {@code error}. */
    public static Status toStatus(Throwable error) {
        Throwable e = unwrap(error);
        if (e instanceof MeshException me) {
            if (me.kind() == ErrorKind.INTERNAL) {
                log.error("internal error: {}", me.getMessage(), me);
            }
            return codeOf(me.kind()).withDescription(me.getMessage());
        }
        if (e instanceof StatusRuntimeException || e instanceof StatusException) {
            Status s = Status.fromThrowable(e);
            if (s.getCode() == Status.Code.UNKNOWN) {
                log.error("internal error with status UNKNOWN", e);
                return Status.INTERNAL.withDescription("internal error; see the node's log");
            }
            return Status.fromCode(s.getCode()).withDescription(s.getDescription());
        }
        if (e instanceof TimeoutException) {
            return Status.DEADLINE_EXCEEDED.withDescription(messageOr(e, "deadline exceeded"));
        }
        if (e instanceof CancellationException) {
            return Status.CANCELLED.withDescription(messageOr(e, "cancelled"));
        }
        if (e instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT.withDescription(messageOr(e, "invalid argument"));
        }
        log.error("internal error", e);
        return Status.INTERNAL.withDescription("internal error; see the node's log");
    }

    /** The status code for an error kind. */
    public static Status codeOf(ErrorKind kind) {
        return switch (kind) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.NOT_FOUND;
            case OUT_OF_RANGE -> Status.OUT_OF_RANGE;
            case DATA_LOSS -> Status.DATA_LOSS;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case CANCELLED -> Status.CANCELLED;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case INTERNAL -> Status.INTERNAL;
        };
    }

    /**
     * The client side: turns what a call failed with into a {@link MeshException} whose kind
     * callers act on (retry elsewhere, give up, exit code). {@code what} names the call in the
     * message, e.g. {@code "GetChunk from 127.0.0.1:7071"}.
     */
    public static MeshException fromThrowable(Throwable error, String what) {
        Throwable e = unwrap(error);
        if (e instanceof MeshException me) {
            return me;
        }
        if (e instanceof StatusRuntimeException || e instanceof StatusException) {
            Status s = Status.fromThrowable(e);
            String description = s.getDescription() == null ? s.getCode().name() : s.getDescription();
            // grpc-java's client-side "io exception" goes on with a dump of the Netty pipeline: one line is enough.
            int newline = description.indexOf('\n');
            description = newline < 0 ? description : description.substring(0, newline);
            Throwable root = s.getCause();
            while (root != null && root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root != null && root.getMessage() != null && !description.contains(root.getMessage())) {
                // Client-side failures ("io exception") only say what happened in their cause.
                description = description + ": " + root.getMessage();
            }
            return new MeshException(kindOf(s.getCode()), what + ": " + description, e);
        }
        if (e instanceof TimeoutException) {
            return new MeshException(ErrorKind.DEADLINE_EXCEEDED, what + ": deadline exceeded", e);
        }
        return new MeshException(ErrorKind.INTERNAL, what + ": " + messageOr(e, e.getClass().getSimpleName()), e);
    }

    /** The error kind for a status code received from a peer. */
    public static ErrorKind kindOf(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT -> ErrorKind.INVALID_ARGUMENT;
            case NOT_FOUND -> ErrorKind.NOT_FOUND;
            case OUT_OF_RANGE -> ErrorKind.OUT_OF_RANGE;
            case DATA_LOSS -> ErrorKind.DATA_LOSS;
            case RESOURCE_EXHAUSTED -> ErrorKind.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> ErrorKind.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> ErrorKind.DEADLINE_EXCEEDED;
            case PERMISSION_DENIED, UNAUTHENTICATED -> ErrorKind.PERMISSION_DENIED;
            case CANCELLED, ABORTED -> ErrorKind.CANCELLED;
            case FAILED_PRECONDITION, ALREADY_EXISTS -> ErrorKind.FAILED_PRECONDITION;
            case OK, UNKNOWN, UNIMPLEMENTED, INTERNAL -> ErrorKind.INTERNAL;
        };
    }

    private static Throwable unwrap(Throwable error) {
        Throwable e = error;
        for (int depth = 0; depth < 16; depth++) {
            Throwable next;
            if (reactor.core.Exceptions.isMultiple(e)) {
                // Several branches failed at once (two stripes refused by a full node): report the
                // first failure that has a kind, not "Multiple exceptions".
                List<Throwable> all = reactor.core.Exceptions.unwrapMultiple(e);
                next = all.stream().filter(t -> unwrap(t) instanceof MeshException).findFirst()
                        .orElse(all.isEmpty() ? e : all.get(0));
            } else if ((e instanceof java.util.concurrent.CompletionException
                    || e instanceof java.util.concurrent.ExecutionException
                    || e.getClass().getName().startsWith("reactor.core.Exceptions$")) && e.getCause() != null) {
                // Reactor and CompletableFuture wrap the interesting failure; peel those layers only.
                next = e.getCause();
            } else {
                return e;
            }
            if (next == e) {
                return e;
            }
            e = next;
        }
        return e;
    }

    private static String messageOr(Throwable e, String fallback) {
        return e.getMessage() == null || e.getMessage().isBlank() ? fallback : e.getMessage();
    }
}
