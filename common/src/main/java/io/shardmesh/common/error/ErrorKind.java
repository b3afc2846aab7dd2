package io.shardmesh.common.error;

/** What went wrong, in the terms of DESIGN.md's "Errors" table. */
public enum ErrorKind {
    /** A bad id, size or argument. */
    INVALID_ARGUMENT,
    /** An unknown file, chunk or key. */
    NOT_FOUND,
    /** A range past the end of a chunk or file. */
    OUT_OF_RANGE,
    /** Bytes that do not match their hash. */
    DATA_LOSS,
    /** A quota or a rate limit. */
    RESOURCE_EXHAUSTED,
    /** A peer, or enough peers, could not be reached. */
    UNAVAILABLE,
    /** A deadline ran out. */
    DEADLINE_EXCEEDED,
    /** A signature that does not verify, or a caller who is not the owner. */
    PERMISSION_DENIED,
    /** The caller went away. */
    CANCELLED,
    /** A request that conflicts with the state (for example a write to a node shutting down). */
    FAILED_PRECONDITION,
    /** A bug or an environment failure (disk, database); details are logged, not sent. */
    INTERNAL
}
