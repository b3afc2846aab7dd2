package io.shardmesh.server.status;

import reactor.core.publisher.Mono;

/** Where a node's status comes from: what {@code Node.Status} and the metrics report. */
@FunctionalInterface
public interface StatusSource {

    /** A fresh snapshot; never blocks the caller. */
    Mono<NodeStatus> status();
}
