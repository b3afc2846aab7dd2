package io.shardmesh.server.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.proto.v1.PinRequest;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.Chunks;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/** What a node knows about the DHT survives a restart. */
class DhtRestartTest {

    @TempDir
    Path dir;

    @Test
    void records_surviveARestart() {
        ContentId key = ContentId.random();
        DhtRecord r = DhtRecord.sign(NodeKey.generate(), key, new DhtRecord.Value("kept".getBytes()),
                System.currentTimeMillis(), Duration.ofHours(1));
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode n = mesh.start(dir.resolve("a"), 30_001, DhtConfig.defaults(), b -> b);
            assertThat(n.kademlia().responder().onStore(Optional.empty(), r).block(Duration.ofSeconds(5))).isTrue();
        }
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode n = mesh.start(dir.resolve("a"), 30_001, DhtConfig.defaults(), b -> b);
            assertThat(n.kademlia().records().get(key, Optional.of(RecordKind.VALUE), System.currentTimeMillis()))
                    .containsExactly(r);
        }
    }

    @Test
    void restartWithoutBootstrap_rejoinsTheSavedPeers() {
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode first = mesh.start(dir.resolve("first"), 30_010, DhtConfig.defaults(), b -> b);
            ShardmeshNode second = mesh.start(dir.resolve("second"), 30_011,
                    DhtConfig.defaults().withBootstrap(List.of(InProcessMesh.address(first))), b -> b);
            Await.until("the second node to join through the first", Duration.ofSeconds(60),
                    () -> second.kademlia().table().entry(first.id()).isPresent());
            second.close();

            // Same data dir, no --bootstrap: the saved peer table is enough.
            ShardmeshNode again = mesh.start(dir.resolve("second"), 30_011, DhtConfig.defaults(), b -> b);
            assertThat(again.id()).isEqualTo(second.id());
            Await.until("the restarted node to rejoin its saved peer", Duration.ofSeconds(60),
                    () -> again.kademlia().table().entry(first.id()).isPresent());
            // The first node learns the restarted one as it keeps calling (its check of the old
            // instance may have failed while that one was stopping).
            Await.until("the first node to learn the restarted one", Duration.ofSeconds(60), () -> {
                again.kademlia().lookupNode(first.id()).block(Duration.ofSeconds(5));
                return first.kademlia().table().entry(again.id()).isPresent();
            });
        }
    }

    @Test
    void restartOnAnotherPort_republishesItsProviderRecordsWithTheNewAddress() {
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode first = mesh.start(dir.resolve("first"), 30_020, DhtConfig.defaults(), b -> b);
            ShardmeshNode holder = mesh.start(dir.resolve("holder"), 30_021,
                    DhtConfig.defaults().withBootstrap(List.of(InProcessMesh.address(first))), b -> b);
            Await.until("the holder to join", Duration.ofSeconds(60),
                    () -> holder.kademlia().table().entry(first.id()).isPresent());
            // The holder stores and pins a chunk, so it announces itself as the file's provider.
            byte[] bytes = "a file".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ContentId file = Chunks.idOf(bytes);
            ManagedChannel channel = mesh.clientChannel(holder);
            try {
                var chunks = StreamFlow.chunkStreams(ReactorChunksGrpc.newReactorStub(channel))
                        .withDeadlineAfter(10, TimeUnit.SECONDS);
                chunks.putChunk(Flux.fromIterable(Chunks.upload(bytes, 1024))).block(Duration.ofSeconds(10));
                chunks.pin(PinRequest.newBuilder().setFileId(file.hex()).addChunkIds(file.hex())
                        .setOwner(Chunks.pinProof(NodeKey.generate(), file, List.of(file), System.currentTimeMillis())).build())
                        .block(Duration.ofSeconds(10));
            } finally {
                channel.shutdownNow();
            }
            holder.close();

            // Same data dir, another port, no bootstrap: readers must be sent to the new address.
            mesh.start(dir.resolve("holder"), 30_022, DhtConfig.defaults(), b -> b);
            Await.until("the provider record to name the new address", Duration.ofSeconds(60),
                    () -> first.kademlia().lookupValue(file, Optional.of(RecordKind.PROVIDER), false)
                            .block(Duration.ofSeconds(10)).records().stream()
                            .map(r -> ((DhtRecord.Provider) r.payload()).holder().port())
                            .toList().equals(List.of(30_022)));
        }
    }
}
