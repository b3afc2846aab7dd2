package io.shardmesh.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StatusResponse;
import io.shardmesh.server.testing.Chunks;
import io.shardmesh.server.testing.InProcessNode;
import io.shardmesh.server.testing.TestChannels;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardmeshNodeTest {

    @TempDir
    Path dir;

    @Test
    void start_onPortZero_bindsAnOsPortAndServesHealthReflectionAndStatus() throws Exception {
        try (ShardmeshNode node = ShardmeshNode.builder(dir).listen(new HostPort("127.0.0.1", 0)).start()) {
            assertThat(node.port()).isPositive();
            assertThat(node.listenAddress()).isEqualTo("127.0.0.1:" + node.port());
            assertThat(node.contact().port()).isEqualTo(node.port());
            ManagedChannel ch = TestChannels.tls("127.0.0.1", node.port());
            try {
                HealthCheckResponse h = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.newBuilder().setService("shardmesh.v1.Chunks").build());
                assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

                assertThat(listServices(ch)).contains("shardmesh.v1.Chunks", "shardmesh.v1.Node",
                        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection");

                StatusResponse s = NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .status(StatusRequest.getDefaultInstance());
                assertThat(s.getNode().getNodeId()).isEqualTo(node.id().hex());
                assertThat(s.getNode().getPort()).isEqualTo(node.port());
                assertThat(s.getStoredChunks()).isZero();
                assertThat(s.getUptimeMs()).isGreaterThanOrEqualTo(0);
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void restart_keepsNodeIdAndChunks() {
        String id;
        byte[] data = Chunks.random(1000, 1);
        try (InProcessNode n = InProcessNode.start(dir)) {
            id = n.node.id().hex();
            io.shardmesh.proto.v1.ReactorChunksGrpc.newReactorStub(n.channel)
                    .putChunk(reactor.core.publisher.Flux.fromIterable(Chunks.upload(data, 500)))
                    .block(java.time.Duration.ofSeconds(10));
        }
        try (InProcessNode n = InProcessNode.start(dir)) {
            assertThat(n.node.id().hex()).isEqualTo(id);
            StatusResponse s = NodeGrpc.newBlockingStub(n.channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance());
            assertThat(s.getStoredChunks()).isEqualTo(1);
            assertThat(s.getStoredBytes()).isEqualTo(1000);
        }
    }

    @Test
    void start_portInUse_failsWithTheAddress() throws Exception {
        try (ShardmeshNode first = ShardmeshNode.builder(dir.resolve("a")).listen(new HostPort("127.0.0.1", 0)).start()) {
            assertThatThrownBy(() -> ShardmeshNode.builder(dir.resolve("b")).listen(new HostPort("127.0.0.1", first.port())).start())
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + first.port());
        }
    }

    @Test
    void close_turnsHealthToNotServingAndRefusesCalls() throws Exception {
        ShardmeshNode node = ShardmeshNode.builder(dir).listen(new HostPort("127.0.0.1", 0)).start();
        int port = node.port();
        node.close();
        ManagedChannel ch = TestChannels.tls("127.0.0.1", port);
        try {
            assertThatThrownBy(() -> HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()))
                    .hasMessageContaining("UNAVAILABLE");
        } finally {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        node.close();
    }

    private static List<String> listServices(ManagedChannel ch) throws Exception {
        CompletableFuture<List<String>> result = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(ch)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        result.complete(r.getListServicesResponse().getServiceList().stream()
                                .map(s -> s.getName()).toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        req.onCompleted();
        return result.get(10, TimeUnit.SECONDS);
    }
}
