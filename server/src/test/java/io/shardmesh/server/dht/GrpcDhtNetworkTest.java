package io.shardmesh.server.dht;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.NodeKeyFile;
import io.shardmesh.common.dht.DhtNetworkSuite;
import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** The DHT network suite over real nodes speaking gRPC (in-process transport), 60 of them. */
class GrpcDhtNetworkTest extends DhtNetworkSuite {

    @TempDir
    Path dir;

    @Override
    protected KademliaConfig config() {
        // Shorter deadlines than the 5 s default: a silently dead node costs a lookup this much.
        return KademliaConfig.defaults().withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(20));
    }

    @Override
    protected int nodes() {
        return 60;
    }

    @Override
    protected int lookups() {
        return 150;
    }

    @Override
    protected Network newNetwork(KademliaConfig config) {
        InProcessMesh mesh = new InProcessMesh(dir);
        DhtConfig settings = DhtConfig.defaults().withKademlia(config);
        List<Member> members = new ArrayList<>();
        return new Network() {
            @Override
            public Member add(List<HostPort> bootstrap) {
                ShardmeshNode node = mesh.start(settings);
                node.kademlia().join(List.of(), bootstrap).block(Duration.ofSeconds(60));
                Member m = new Keyed(node, mesh);
                members.add(m);
                return m;
            }

            @Override
            public List<Member> members() {
                return members;
            }

            @Override
            public void close() {
                mesh.close();
            }
        };
    }

    @Override
    protected NodeKey keyOf(Member m) {
        return NodeKeyFile.loadOrCreate(((Keyed) m).node.config().dataDir());
    }

    private record Keyed(ShardmeshNode node, InProcessMesh mesh) implements Member {
        @Override
        public Kademlia kademlia() {
            return node.kademlia();
        }

        @Override
        public HostPort address() {
            return InProcessMesh.address(node);
        }

        @Override
        public void kill() {
            mesh.silence(node);
        }

        @Override
        public boolean alive() {
            return !mesh.silenced(node);
        }
    }
}
