package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.it.harness.RawCall;
import io.shardmesh.it.harness.Tls;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.proto.v1.FilesPutHeader;
import io.shardmesh.proto.v1.FilesPutRequest;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.PutChunkHeader;
import io.shardmesh.proto.v1.PutChunkRequest;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.Chunks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * Calls with no deadline from callers that go quiet: an upload that stops after its header, a
 * Files.Put that stops after a frame, a GetChunk whose caller never reads. The node gives each
 * its own deadline (here 3 s, an hour by default) and gRPC ends it (the caller sees the stream
 * reset: CANCELLED), and the node keeps no temp file, no reservation and no open chunk file.
 * (A node over Netty in this JVM, so its deadline can be short and its open files seen.)
 */
class HostileNoDeadlineIT {

    static final Duration NODE_BOUND = Duration.ofSeconds(3);
    /** Well under the 60 s an abandoned upload waits by itself: the node's deadline ended it. */
    static final Duration ENDS_WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private ShardmeshNode node;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws IOException {
        node = ShardmeshNode.builder(dir.resolve("n")).listen(new HostPort("127.0.0.1", 0)).configure(c -> c.withGrpc(c.grpc().withMaxCallDuration(NODE_BOUND)))
                .configure(c -> c.withShutdownGrace(Duration.ofSeconds(2))).start();
        channel = Tls.channel("127.0.0.1", node.port());
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        node.close();
    }

    @Test
    void quietCallsWithoutADeadline_areEndedByTheNode_andLeaveNothingBehind() throws Exception {
        // An upload that sends its header and one frame of a 1 MiB chunk, then nothing.
        CompletableFuture<Status> upload = open(ChunksGrpc.getPutChunkMethod(), List.of(
                PutChunkRequest.newBuilder().setHeader(PutChunkHeader.newBuilder()
                        .setChunkId(Chunks.idOf(new byte[1 << 20]).hex()).setSize(1 << 20)).build(),
                PutChunkRequest.newBuilder().setData(ByteString.copyFrom(new byte[4096])).build()), false, 1);
        // A Files.Put that sends its header and one frame, then nothing.
        CompletableFuture<Status> filePut = open(FilesGrpc.getPutMethod(), List.of(
                FilesPutRequest.newBuilder().setHeader(FilesPutHeader.newBuilder().setName("quiet").setK(1).setM(0)
                        .setShardSize(64 * 1024)).build(),
                FilesPutRequest.newBuilder().setData(ByteString.copyFrom(new byte[10_000])).build()), false, 1);
        // A GetChunk of a chunk served from disk (too large for the hot cache) whose caller reads one frame.
        byte[] big = Chunks.random(6 << 20, 6);
        String bigId = Chunks.idOf(big).hex();
        ReactorChunksGrpc.newReactorStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .putChunk(Flux.fromIterable(Chunks.upload(big, 256 * 1024))).block(Duration.ofSeconds(40));
        CompletableFuture<Status> read = open(ChunksGrpc.getGetChunkMethod(),
                List.of(GetChunkRequest.newBuilder().setChunkId(bigId).build()), true, 1);

        for (CompletableFuture<Status> call : List.of(upload, filePut)) {
            // gRPC ends a call whose deadline passed on the server with RST_STREAM: CANCELLED at the caller.
            assertThat(call.get(ENDS_WITHIN.toSeconds(), TimeUnit.SECONDS).getCode())
                    .isIn(Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED);
        }
        // The node lets go just after it resets the stream: give it a moment.
        Await.until("upload reservations released", ENDS_WITHIN, () -> node.status().block().reservedBytes() == 0);
        assertThat(node.status().block().storedChunks()).as("only the complete chunk is kept").isEqualTo(1);
        try (Stream<Path> tmp = Files.list(node.config().dataDir().resolve("tmp"))) {
            assertThat(tmp).as("no temp file left").isEmpty();
        }
        // The stalled reader's call is ended too: the node no longer holds the chunk file open.
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "open files are only visible on Linux");
        long deadline = System.nanoTime() + ENDS_WITHIN.toNanos();
        while (openFilesNaming(bigId) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(openFilesNaming(bigId)).as("open descriptors of the chunk file").isZero();
        assertThat(read.isDone() ? read.get().getCode() : Status.Code.DEADLINE_EXCEEDED)
                .isIn(Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED);
    }

    @Test
    void aCallersDayLongDeadline_isCutToTheNodes() throws Exception {
        // The same quiet upload, but with a deadline a day away: the node's 3 s apply.
        CompletableFuture<Status> upload = RawCall.start(channel, ChunksGrpc.getPutChunkMethod(),
                CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.DAYS), List.of(
                        PutChunkRequest.newBuilder().setHeader(PutChunkHeader.newBuilder()
                                .setChunkId(Chunks.idOf(new byte[1 << 20]).hex()).setSize(1 << 20)).build(),
                        PutChunkRequest.newBuilder().setData(ByteString.copyFrom(new byte[4096])).build()), false, 1).closed();
        assertThat(upload.get(ENDS_WITHIN.toSeconds(), TimeUnit.SECONDS).getCode())
                .isIn(Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED);
        Await.until("the upload reservation released", ENDS_WITHIN, () -> node.status().block().reservedBytes() == 0);
    }

    /** A call with no deadline that sends {@code messages}, half-closes only if asked, and reads at most {@code read}. */
    private <Q, A> CompletableFuture<Status> open(MethodDescriptor<Q, A> method, List<Q> messages, boolean halfClose, int read) {
        return RawCall.start(channel, method, CallOptions.DEFAULT, messages, halfClose, read).closed();
    }

    private static long openFilesNaming(String chunkId) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().contains(chunkId);
                } catch (IOException | UnsupportedOperationException e) {
                    return false;
                }
            }).count();
        }
    }
}
