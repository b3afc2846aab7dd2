package io.shardmesh.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.KvGetRequest;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PutChunkResponse;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.TestChannels;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code node --metrics}: Prometheus text with every call by method and code, the store, the DHT and the JVM. */
class NodeMetricsTest {

    @TempDir
    Path dir;

    @Test
    void metrics_countCallsByMethodAndCode_andReportTheNode() throws Exception {
        try (ShardmeshNode node = ShardmeshNode.builder(dir.resolve("n")).listen(new HostPort("127.0.0.1", 0))
                .configure(c -> c.withMetrics(new HostPort("127.0.0.1", 0))).start()) {
            ManagedChannel ch = TestChannels.tls("127.0.0.1", node.port());
            try {
                NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
                assertThatThrownBy(() -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .get(KvGetRequest.newBuilder().setKey("absent").build()))
                        .isInstanceOf(StatusRuntimeException.class);
                // An upload the client abandons ends with no status from the server: still counted.
                var upload = ChunksGrpc.newStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .putChunk(new io.grpc.stub.StreamObserver<PutChunkResponse>() {
                            @Override
                            public void onNext(PutChunkResponse value) {
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                            }
                        });
                upload.onError(new IllegalStateException("client gives up"));
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            String cancelled = "shardmesh_grpc_server_handled_total{code=\"CANCELLED\",method=\"shardmesh.v1.Chunks/PutChunk\"} 1.0";
            Await.until("the cancelled upload to be counted", Duration.ofSeconds(20), () -> scrape(node).contains(cancelled));
            String text = scrape(node);
            assertThat(text)
                    .contains("shardmesh_grpc_server_handled_total{code=\"OK\",method=\"shardmesh.v1.Node/Status\"} 1.0")
                    .contains("shardmesh_grpc_server_handled_total{code=\"NOT_FOUND\",method=\"shardmesh.v1.Kv/Get\"} 1.0")
                    .contains("shardmesh_grpc_server_handling_seconds_count{method=\"shardmesh.v1.Kv/Get\"} 1")
                    .contains("shardmesh_store_chunks 0.0")
                    .contains("shardmesh_dht_routing_table_contacts 0.0")
                    .contains("jvm_threads_current");
        }
    }

    private static String scrape(ShardmeshNode node) {
        try {
            return HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.metricsPort().orElseThrow() + "/metrics"))
                            .timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aMetricsPortInUse_failsTheStartWithTheAddress() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThatThrownBy(() -> ShardmeshNode.builder(dir.resolve("n")).listen(new HostPort("127.0.0.1", 0))
                    .configure(c -> c.withMetrics(new HostPort("127.0.0.1", busy.getLocalPort()))).start())
                    .hasMessageContaining("cannot serve metrics on 127.0.0.1:" + busy.getLocalPort());
        }
        // The data dir is usable again: nothing was left open.
        ShardmeshNode.builder(dir.resolve("n")).listen(new HostPort("127.0.0.1", 0)).start().close();
    }
}
