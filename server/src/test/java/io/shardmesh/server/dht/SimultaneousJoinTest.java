package io.shardmesh.server.dht;

import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes join through the same seed at the same moment. The seed adds each only after
 * pinging it back (slow here), so it knows neither when it answers their joins; they must still
 * find each other within seconds, not at the next gossip round minutes later.
 */
class SimultaneousJoinTest {

    @TempDir
    Path dir;

    @Test
    void nodesJoiningThroughOneSeedAtOnce_findEachOtherWithinSeconds() {
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode seed = mesh.start(DhtSettings.defaults());
            DhtSettings viaSeed = DhtSettings.defaults().withBootstrap(List.of(InProcessMesh.address(seed)));
            mesh.slowPings("127.0.0.1:30001", Duration.ofMillis(1500));
            mesh.slowPings("127.0.0.1:30002", Duration.ofMillis(1500));
            ShardmeshNode a = mesh.start(dir.resolve("a"), 30001, viaSeed, b -> b);
            ShardmeshNode b = mesh.start(dir.resolve("b"), 30002, viaSeed, x -> x);

            Await.until("both newcomers to know each other and the seed", Duration.ofSeconds(15),
                    () -> a.dht().kademlia().table().size() == 2 && b.dht().kademlia().table().size() == 2);
        }
    }
}
