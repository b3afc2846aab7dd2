package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.HasChunksRequest;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PutChunkHeader;
import io.shardmesh.proto.v1.PutChunkRequest;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * Messages over a real node's 1 MiB + 64 KiB message limit (a unary request, and an upload's
 * data frame) are refused with RESOURCE_EXHAUSTED, the gRPC-standard status; the node keeps
 * nothing of them and serves on. (Its 16 KiB header limit is advertised in the HTTP/2 settings,
 * so grpc-java clients refuse to send more and never reach it.)
 */
class HostileOversizeIT {

    @TempDir
    Path dir;

    @Test
    void oversizedMessagesAndHeaders_areRefused_andTheNodeServesOn() throws Exception {
        try (NodeProcess node = NodeProcess.start(dir.resolve("n"))) {
            ManagedChannel ch = node.channel();
            var chunks = ChunksGrpc.newBlockingStub(ch);

            // A unary request larger than the message limit: 20,000 ids of 64 characters.
            HasChunksRequest.Builder many = HasChunksRequest.newBuilder();
            for (int i = 0; i < 20_000; i++) {
                many.addChunkIds(ContentId.random().hex());
            }
            assertThat(many.build().getSerializedSize()).isGreaterThan(ProtocolLimits.MAX_MESSAGE_BYTES);
            assertStatus(() -> chunks.withDeadlineAfter(30, TimeUnit.SECONDS).hasChunks(many.build()),
                    Status.Code.RESOURCE_EXHAUSTED);

            // An upload whose one data frame is 2 MiB.
            byte[] big = Chunks.random(2 << 20, 5);
            String id = Chunks.idOf(big).hex();
            Flux<PutChunkRequest> upload = Flux.just(
                    PutChunkRequest.newBuilder().setHeader(PutChunkHeader.newBuilder().setChunkId(id).setSize(big.length)).build(),
                    PutChunkRequest.newBuilder().setData(ByteString.copyFrom(big)).build());
            assertStatus(() -> ReactorChunksGrpc.newReactorStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .putChunk(upload).block(Duration.ofSeconds(40)), Status.Code.RESOURCE_EXHAUSTED);

            // Nothing kept, nothing half-written, and the node answers as before. The transport
            // refuses the frame and cancels the call; the node's cleanup of the upload runs after
            // that, so the temp file goes soon after the caller sees the status, not before it.
            assertThat(chunks.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .hasChunks(HasChunksRequest.newBuilder().addChunkIds(id).build()).getHeldChunkIdsList()).isEmpty();
            Await.until("the refused upload's temp file to be removed", Duration.ofSeconds(30), () -> {
                try (Stream<Path> tmp = Files.list(node.dataDir().resolve("tmp"))) {
                    return tmp.findAny().isEmpty();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(NodeGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance()).getStoredChunks()).isZero();
            assertThat(node.healthy()).isTrue();
        }
    }

    private static void assertStatus(ThrowableAssert.ThrowingCallable call, Status.Code code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code));
    }
}
