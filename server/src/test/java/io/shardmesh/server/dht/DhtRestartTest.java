package io.shardmesh.server.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
            ShardmeshNode n = mesh.start(dir.resolve("a"), 30_001, DhtSettings.defaults(), b -> b);
            assertThat(n.dht().kademlia().onStore(Optional.empty(), r).block(Duration.ofSeconds(5))).isTrue();
        }
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode n = mesh.start(dir.resolve("a"), 30_001, DhtSettings.defaults(), b -> b);
            assertThat(n.dht().kademlia().records().get(key, Optional.of(RecordKind.VALUE), System.currentTimeMillis()))
                    .containsExactly(r);
        }
    }

    @Test
    void restartWithoutBootstrap_rejoinsTheSavedPeers() {
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode first = mesh.start(dir.resolve("first"), 30_010, DhtSettings.defaults(), b -> b);
            ShardmeshNode second = mesh.start(dir.resolve("second"), 30_011,
                    DhtSettings.defaults().withBootstrap(List.of(InProcessMesh.address(first))), b -> b);
            Await.until("the second node to join through the first", Duration.ofSeconds(60),
                    () -> second.dht().kademlia().table().entry(first.id()).isPresent());
            second.close();

            // Same data dir, no --bootstrap: the saved peer table is enough.
            ShardmeshNode again = mesh.start(dir.resolve("second"), 30_011, DhtSettings.defaults(), b -> b);
            assertThat(again.id()).isEqualTo(second.id());
            Await.until("the restarted node to rejoin its saved peer", Duration.ofSeconds(60),
                    () -> again.dht().kademlia().table().entry(first.id()).isPresent());
            // The first node learns the restarted one as it keeps calling (its check of the old
            // instance may have failed while that one was stopping).
            Await.until("the first node to learn the restarted one", Duration.ofSeconds(60), () -> {
                again.dht().kademlia().lookupNode(first.id()).block(Duration.ofSeconds(5));
                return first.dht().kademlia().table().entry(again.id()).isPresent();
            });
        }
    }

    @Test
    void restartOnAnotherPort_republishesItsProviderRecordsWithTheNewAddress() {
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode first = mesh.start(dir.resolve("first"), 30_020, DhtSettings.defaults(), b -> b);
            ShardmeshNode holder = mesh.start(dir.resolve("holder"), 30_021,
                    DhtSettings.defaults().withBootstrap(List.of(InProcessMesh.address(first))), b -> b);
            Await.until("the holder to join", Duration.ofSeconds(60),
                    () -> holder.dht().kademlia().table().entry(first.id()).isPresent());
            ContentId file = io.shardmesh.common.hash.Sha256.of("a file".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            holder.dht().publishOwn(file, new DhtRecord.Provider(holder.contact(), List.of(file)), Duration.ofHours(1))
                    .block(Duration.ofSeconds(10));
            holder.close();

            // Same data dir, another port, no bootstrap: readers must be sent to the new address.
            mesh.start(dir.resolve("holder"), 30_022, DhtSettings.defaults(), b -> b);
            Await.until("the provider record to name the new address", Duration.ofSeconds(60),
                    () -> first.dht().kademlia().lookupValue(file, Optional.of(RecordKind.PROVIDER), false)
                            .block(Duration.ofSeconds(10)).records().stream()
                            .map(r -> ((DhtRecord.Provider) r.payload()).holder().port())
                            .toList().equals(List.of(30_022)));
        }
    }
}
