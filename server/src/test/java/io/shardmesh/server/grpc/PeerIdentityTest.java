package io.shardmesh.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.ContactListener;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.GrpcMesh;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.EmptyDirectory;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every answer names the node that gave it; a call meant for another node fails, and says who answered. */
class PeerIdentityTest {

    @TempDir
    Path dir;

    @Test
    void callToAContactWhoseAddressHoldsAnotherNode_failsUnavailable_andReportsWhoAnswered() {
        try (InProcessMesh mesh = new InProcessMesh(dir); PeerChannels channels = new PeerChannels(mesh.channels())) {
            ShardmeshNode node = mesh.start(DhtConfig.defaults());
            AtomicReference<Optional<NodeId>> answered = new AtomicReference<>();
            GrpcMesh client = new GrpcMesh(NodeKey.generate(), List::of, channels, EmptyDirectory.INSTANCE, new ContactListener() {
                @Override
                public void responded(Contact contact, long rttMillis) {
                }

                @Override
                public void failed(Contact contact) {
                }

                @Override
                public void replaced(Contact stale, Optional<NodeId> answeredAs) {
                    answered.set(answeredAs);
                }
            }, Clock.systemUTC());
            Contact right = node.contact();
            Contact stale = new Contact(NodeId.random(), right.host(), right.port());

            assertThat(client.has(right, List.of()).block(Duration.ofSeconds(10))).isEmpty();
            assertThatThrownBy(() -> client.has(stale, List.of()).block(Duration.ofSeconds(10)))
                    .isInstanceOfSatisfying(MeshException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.UNAVAILABLE))
                    .hasMessageContaining("answered as node " + node.id());
            assertThat(answered.get()).contains(node.id());
            // A probe leaves the stale contact out, and keeps the right one.
            assertThat(client.probe(List.of(stale, right)).block(Duration.ofSeconds(10))).containsExactly(right);
        }
    }
}
