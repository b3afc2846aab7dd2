package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.server.chunk.ChunkService;
import io.shardmesh.server.dht.DhtService;
import io.shardmesh.server.files.FilesService;
import io.shardmesh.server.metrics.NodeMetrics;
import io.shardmesh.server.repair.SelfHealing;
import io.shardmesh.server.status.StatusSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A node's gRPC server: the five mesh services (thin adapters over the features), health and
 * reflection (v1 and v1alpha) on one port, with the node's limits, the caller-address and
 * malformed-request interceptors, its name on every answer, and metrics when asked for.
 */
public final class NodeServer {

    /**
     * The features the services adapt.
     *
     * @param stop stops the node, after the call that asks for it is answered (a drain with stop)
     */
    public record Features(ChunkService chunks, DhtService dht, FilesService files, StatusSource status,
                           SelfHealing healing, Runnable stop) {
        public Features {
            requireNonNull(healing, "healing");
            requireNonNull(stop, "stop");
            requireNonNull(chunks, "chunks");
            requireNonNull(dht, "dht");
            requireNonNull(files, "files");
            requireNonNull(status, "status");
        }
    }

    private final Server server;
    private final HealthStatusManager health;
    private final int port;
    private final String listenAddress;

    private NodeServer(Server server, HealthStatusManager health, int port, String listenAddress) {
        this.server = server;
        this.health = health;
        this.port = port;
        this.listenAddress = listenAddress;
    }

    /** Builds the server on {@code transport} and starts it; every service reports SERVING. */
    public static NodeServer start(NodeId self, NodeTransport.Bound transport, HostPort listen, GrpcServerConfig config,
                                   Features f, Optional<NodeMetrics> metrics, Clock clock) throws IOException {
        ServerBuilder<?> sb = transport.serverFor(listen);
        config.applyTo(sb, clock);
        sb.intercept(new Caller());
        // Outermost (interceptors added last run first): every answer names the node, even a refusal.
        sb.intercept(new NodeIdentity(self));
        metrics.ifPresent(m -> sb.intercept(new CallMetrics(m)));
        List<BindableService> services = List.of(
                new ChunksGrpcService(f.chunks().reads(), f.chunks().uploads(), f.chunks().pins(), f.healing().repairPins()),
                new DhtGrpcService(f.dht().kademlia().responder()),
                new KvGrpcService(f.dht().keyValues()),
                new FilesGrpcService(f.files()),
                new NodeGrpcService(f.status(), f.dht().peers(), f.dht().kademlia().responder(), f.healing(), f.stop()));
        services.forEach(s -> sb.addService(MalformedRequests.refuse(s.bindService())));
        HealthStatusManager health = new HealthStatusManager();
        sb.addService(health.getHealthService());
        sb.addService(ProtoReflectionServiceV1.newInstance());
        // v1alpha too: older grpcurl and buf releases only speak that one.
        @SuppressWarnings("deprecation")
        BindableService alpha = ProtoReflectionService.newInstance();
        sb.addService(alpha);
        Server server = sb.build().start();
        for (BindableService s : services) {
            health.setStatus(s.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        int port = boundPort(server);
        return new NodeServer(server, health, port, port < 0 ? "in-process" : new HostPort(listen.host(), port).toString());
    }

    /** The port the server bound at start (still answers after stop), or -1 when it has none (in-process). */
    public int port() {
        return port;
    }

    /** {@code host:port} the server is bound to, or {@code in-process}. */
    public String listenAddress() {
        return listenAddress;
    }

    /**
     * Stops gracefully: health turns NOT_SERVING, new calls are refused, calls in flight get
     * {@code grace} to finish, then the rest are cancelled.
     *
     * @return false if calls were still running after the grace and had to be cancelled
     */
    public boolean stop(Duration grace) {
        health.enterTerminalState();
        server.shutdown();
        try {
            if (server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
            return false;
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Blocks until the server has terminated (after {@link #stop} from elsewhere). */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    private static int boundPort(Server server) {
        for (SocketAddress a : server.getListenSockets()) {
            if (a instanceof InetSocketAddress inet) {
                return inet.getPort();
            }
        }
        return -1;
    }
}
