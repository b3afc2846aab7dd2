package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.proto.v1.ReactorNodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StatusResponse;
import io.shardmesh.server.node.NodeStatus;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/** {@code shardmesh.v1.Node}. */
public final class NodeGrpcService extends ReactorNodeGrpc.NodeImplBase {

    private final Supplier<Mono<NodeStatus>> status;

    public NodeGrpcService(Supplier<Mono<NodeStatus>> status) {
        this.status = requireNonNull(status, "status");
    }

    @Override
    public Mono<StatusResponse> status(StatusRequest request) {
        return Mono.defer(status).map(s -> StatusResponse.newBuilder()
                .setSelf(Wire.contact(s.self()))
                .setListenAddress(s.listenAddress())
                .setVersion(s.version())
                .setStartedAtUnixMs(s.startedAtUnixMs())
                .setUptimeMs(s.uptimeMs())
                .setStoredChunks(s.storedChunks())
                .setStoredBytes(s.storedBytes())
                .setMaxStorageBytes(s.maxStorageBytes())
                .setPinnedFiles(s.pinnedFiles())
                .build());
    }

    @Override
    protected Throwable onErrorMap(Throwable throwable) {
        return StatusMapper.toStatusException(throwable);
    }
}
