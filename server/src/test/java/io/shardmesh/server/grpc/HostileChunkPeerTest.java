package io.shardmesh.server.grpc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.ContactListener;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.GrpcMesh;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.GetChunkResponse;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.server.testing.EmptyDirectory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** A peer that lies in GetChunk is cut off at once, never buffered. */
class HostileChunkPeerTest {

    private final AtomicLong sent = new AtomicLong();
    private volatile long declared;
    private Server server;
    private PeerChannels channels;
    private GrpcMesh mesh;
    private final Contact liar = new Contact(NodeId.random(), "127.0.0.1", 9);

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).addService(new ReactorChunksGrpc.ChunksImplBase() {
            @Override
            public Flux<GetChunkResponse> getChunk(GetChunkRequest request) {
                // Frames forever, all claiming a small chunk.
                return Flux.generate(sink -> sink.next(GetChunkResponse.newBuilder()
                        .setData(ByteString.copyFrom(new byte[64 * 1024])).setOffset(sent.getAndAdd(64 * 1024))
                        .setChunkSize(declared).build()));
            }
        }).build().start();
        channels = new PeerChannels((id, h, p) -> InProcessChannelBuilder.forName(name).build());
        mesh = new GrpcMesh(NodeKey.generate(), List::of, channels, EmptyDirectory.INSTANCE, ContactListener.NONE, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        channels.close();
        server.shutdownNow();
    }

    @Test
    void getChunk_streamPastTheDeclaredSize_isDataLossAfterOneFrame() {
        declared = 100_000;
        assertThatThrownBy(() -> mesh.getChunk(liar, ContentId.random()).block(Duration.ofSeconds(10)))
                .isInstanceOf(MeshException.class)
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((MeshException) e).kind()).isEqualTo(ErrorKind.DATA_LOSS))
                .hasMessageContaining("past its size");
        // Cut off at the second frame, not at the deadline.
        org.assertj.core.api.Assertions.assertThat(sent.get()).isLessThan(64L * 1024 * 64);
    }

    @Test
    void getChunk_absurdDeclaredSize_isRejectedBeforeAllocating() {
        declared = -1;  // uint64 max on the wire
        assertThatThrownBy(() -> mesh.getChunk(liar, ContentId.random()).block(Duration.ofSeconds(10)))
                .isInstanceOf(MeshException.class)
                .hasMessageContaining("at most");
    }
}
