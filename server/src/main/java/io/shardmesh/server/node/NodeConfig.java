package io.shardmesh.server.node;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.TransferConfig;
import io.shardmesh.server.chunk.ChunkConfig;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.grpc.GrpcServerConfig;
import io.shardmesh.server.repair.RepairConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A node's settings: where it lives and listens, and each part's own {@code …Config}. Built from
 * the command line's flags ({@code shardmesh node}) or by an embedding application, validated
 * where each record is built.
 *
 * @param dataDir where the key, chunks and database live
 * @param listen address the gRPC server binds ({@code 0.0.0.0} for all; port 0 lets the OS pick)
 * @param advertise address other nodes dial, when it is not the listen address (port 0: the bound port)
 * @param maxStorageBytes chunk store quota; 0 means unlimited
 * @param shutdownGrace how long in-flight calls may finish on shutdown
 * @param metrics where to serve Prometheus metrics, if anywhere
 * @param chunks chunk handling (frames, cache, garbage collection)
 * @param dht Kademlia and the node's DHT timers and bootstrap peers
 * @param transfer the put and get pipelines, as the node runs them for the Files service
 * @param grpc the gRPC server's limits
 * @param repair self-healing: the repair loop, its limits, and the scrub
 */
public record NodeConfig(Path dataDir, HostPort listen, Optional<HostPort> advertise, long maxStorageBytes,
                         Duration shutdownGrace, Optional<HostPort> metrics, ChunkConfig chunks, DhtConfig dht,
                         TransferConfig transfer, GrpcServerConfig grpc, RepairConfig repair) {

    /** Where a node listens, and where commands look for one, unless told otherwise. */
    public static final String DEFAULT_LISTEN_ADDRESS = "127.0.0.1:7070";
    public static final HostPort DEFAULT_LISTEN = HostPort.parse(DEFAULT_LISTEN_ADDRESS);
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

    public NodeConfig {
        requireNonNull(dataDir, "dataDir");
        requireNonNull(listen, "listen");
        requireNonNull(advertise, "advertise");
        requireNonNull(shutdownGrace, "shutdownGrace");
        requireNonNull(metrics, "metrics");
        requireNonNull(chunks, "chunks");
        requireNonNull(dht, "dht");
        requireNonNull(transfer, "transfer");
        requireNonNull(grpc, "grpc");
        requireNonNull(repair, "repair");
        if (maxStorageBytes < 0) {
            throw new IllegalArgumentException("max storage must be 0 (unlimited) or positive, got " + maxStorageBytes);
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdown grace must not be negative, got " + shutdownGrace);
        }
    }

    /** The defaults for a node whose data lives in {@code dataDir}. */
    public static NodeConfig defaults(Path dataDir) {
        return new NodeConfig(dataDir, DEFAULT_LISTEN, Optional.empty(), 0, DEFAULT_SHUTDOWN_GRACE, Optional.empty(),
                ChunkConfig.defaults(), DhtConfig.defaults(), TransferConfig.defaults(), GrpcServerConfig.defaults(),
                RepairConfig.defaults());
    }

    public NodeConfig withListen(HostPort address) {
        return new NodeConfig(dataDir, address, advertise, maxStorageBytes, shutdownGrace, metrics, chunks, dht, transfer, grpc, repair);
    }

    public NodeConfig withAdvertise(HostPort address) {
        return new NodeConfig(dataDir, listen, Optional.of(address), maxStorageBytes, shutdownGrace, metrics, chunks, dht,
                transfer, grpc, repair);
    }

    public NodeConfig withMaxStorageBytes(long bytes) {
        return new NodeConfig(dataDir, listen, advertise, bytes, shutdownGrace, metrics, chunks, dht, transfer, grpc, repair);
    }

    public NodeConfig withShutdownGrace(Duration grace) {
        return new NodeConfig(dataDir, listen, advertise, maxStorageBytes, grace, metrics, chunks, dht, transfer, grpc, repair);
    }

    public NodeConfig withMetrics(HostPort address) {
        return new NodeConfig(dataDir, listen, advertise, maxStorageBytes, shutdownGrace, Optional.of(address), chunks, dht,
                transfer, grpc, repair);
    }

    public NodeConfig withChunks(ChunkConfig config) {
        return new NodeConfig(dataDir, listen, advertise, maxStorageBytes, shutdownGrace, metrics, config, dht, transfer, grpc, repair);
    }

    public NodeConfig withDht(DhtConfig config) {
        return new NodeConfig(dataDir, listen, advertise, maxStorageBytes, shutdownGrace, metrics, chunks, config, transfer, grpc, repair);
    }

    public NodeConfig withBootstrap(List<HostPort> peers) {
        return withDht(dht.withBootstrap(peers));
    }

    public NodeConfig withTransfer(TransferConfig config) {
        return new NodeConfig(dataDir, listen, advertise, maxStorageBytes, shutdownGrace, metrics, chunks, dht, config, grpc, repair);
    }

    public NodeConfig withGrpc(GrpcServerConfig config) {
        return new NodeConfig(dataDir, listen, advertise, maxStorageBytes, shutdownGrace, metrics, chunks, dht, transfer, config, repair);
    }

    public NodeConfig withRepair(RepairConfig config) {
        return new NodeConfig(dataDir, listen, advertise, maxStorageBytes, shutdownGrace, metrics, chunks, dht, transfer, grpc,
                config);
    }
}
