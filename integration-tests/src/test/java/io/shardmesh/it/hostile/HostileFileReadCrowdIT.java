package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.it.harness.FileCalls;
import io.shardmesh.it.harness.Tls;
import io.shardmesh.proto.v1.FilesGetRequest;
import io.shardmesh.proto.v1.FilesGetResponse;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.server.grpc.GrpcServerConfig;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.Chunks;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * A crowd of gateway readers that open Files.Get and stop reading: each such stream runs a whole
 * read pipeline on the node, so past {@link GrpcServerConfig#DEFAULT_MAX_FILE_READS} the node
 * answers RESOURCE_EXHAUSTED at once, and serves readers again as soon as the crowd leaves.
 * (A node over Netty in this JVM: the streams' first frames show that the node started them.)
 */
class HostileFileReadCrowdIT {

    @TempDir
    Path dir;

    @Test
    void stalledFileReadsBeyondTheLimit_areRefused_andTheNodeServesAgainAfterwards() throws Exception {
        byte[] data = Chunks.random(4 << 20, 41);
        try (ShardmeshNode node = ShardmeshNode.builder(dir.resolve("n")).listen(new HostPort("127.0.0.1", 0))
                .configure(c -> c.withShutdownGrace(Duration.ofSeconds(2))).start()) {
            String fileId = node.files().put(new FilePut.Options("crowd.bin", 1, 0, 256 * 1024, false),
                    Flux.just(ByteBuffer.wrap(data))).block(Duration.ofSeconds(60)).fileId().hex();
            ManagedChannel ch = Tls.channel("127.0.0.1", node.port());
            List<ClientCall<FilesGetRequest, FilesGetResponse>> crowd = new ArrayList<>();
            try {
                // Each reader takes one frame and then reads no more: the 4 MiB cannot fit the
                // transport's window, so every stream stays open on the node.
                CountDownLatch started = new CountDownLatch(GrpcServerConfig.DEFAULT_MAX_FILE_READS);
                for (int i = 0; i < GrpcServerConfig.DEFAULT_MAX_FILE_READS; i++) {
                    crowd.add(open(ch, fileId, 1, started, new CompletableFuture<>()));
                }
                assertThat(started.await(60, TimeUnit.SECONDS)).as("every reader of the crowd got its first frame").isTrue();

                CompletableFuture<Status> oneMore = new CompletableFuture<>();
                open(ch, fileId, Integer.MAX_VALUE, new CountDownLatch(1), oneMore);
                assertThat(oneMore.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

                crowd.forEach(c -> c.cancel("the crowd leaves", null));
                Await.until("a reader to be served again", Duration.ofSeconds(30), () -> {
                    FileCalls.Read r = FileCalls.get(ch, fileId);
                    return r.error() == null && Arrays.equals(r.bytes(), data);
                });
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Files.Get that asks for {@code read} frames: counts {@code firstFrame} down on the first, and reports how it ended. */
    private static ClientCall<FilesGetRequest, FilesGetResponse> open(ManagedChannel ch, String fileId, int read,
            CountDownLatch firstFrame, CompletableFuture<Status> closed) {
        ClientCall<FilesGetRequest, FilesGetResponse> call = ch.newCall(FilesGrpc.getGetMethod(),
                CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS));
        call.start(new ClientCall.Listener<>() {
            private boolean first = true;

            @Override
            public void onMessage(FilesGetResponse message) {
                if (first) {
                    first = false;
                    firstFrame.countDown();
                }
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, new Metadata());
        call.request(read);
        call.sendMessage(FilesGetRequest.newBuilder().setFileId(fileId).build());
        call.halfClose();
        return call;
    }
}
