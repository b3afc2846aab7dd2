package io.shardmesh.it.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.it.harness.Tls;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node started as its own JVM serves health and status on an OS-picked port and stops on SIGTERM. */
class NodeProcessIT {

    @TempDir
    Path dir;

    @Test
    void nodeProcess_servesHealthAndStatus_andStopsCleanlyOnSigterm() throws Exception {
        String firstId;
        try (NodeProcess node = NodeProcess.start(dir.resolve("n1"))) {
            firstId = node.nodeId();
            ManagedChannel ch = Tls.channel("127.0.0.1", node.port());
            try {
                assertThat(HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()).getStatus())
                        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
                assertThat(NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .status(StatusRequest.getDefaultInstance()).getNode().getNodeId())
                        .isEqualTo(node.nodeId());
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            // 143 = 128 + SIGTERM: the JVM's exit status after its shutdown hooks ran.
            assertThat(node.terminate(30)).as("exit code after SIGTERM").isEqualTo(143);
            assertThat(node.stderr()).contains("stopped");
        }
        // Same data dir, same identity.
        try (NodeProcess again = NodeProcess.start(dir.resolve("n1"))) {
            assertThat(again.nodeId()).isEqualTo(firstId);
        }
    }
}
