package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.dht.Lookup;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.id.Key256;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.it.harness.LoopbackMesh;
import io.shardmesh.it.harness.Tls;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.FindNodeRequest;
import io.shardmesh.proto.v1.FindNodeResponse;
import io.shardmesh.proto.v1.PingRequest;
import io.shardmesh.proto.v1.PingResponse;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.node.ShardmeshNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DHT peer whose every FindNode reply is stuffed with junk: far more than k contacts,
 * duplicates, the asker itself, ids that are not ids, addresses that are not addresses, and
 * well-formed contacts right next to the target that nobody answers at. A node that looks up
 * through it (over real sockets) still finds the true closest nodes, and none of the junk ends
 * up in its routing table.
 */
class HostileFindNodeJunkIT {

    static final int K = 4;

    @TempDir
    Path dir;

    @Test
    void lookupThroughAPeerStuffingItsReplies_findsTheRealClosest_andLearnsNoJunk() throws Exception {
        NodeKey liarKey = NodeKey.generate();
        NodeId liarId = liarKey.id();
        Server liar = null;
        ShardmeshNode asker = null;
        try (LoopbackMesh mesh = LoopbackMesh.start(dir.resolve("mesh"), 6)) {
            List<Contact> junkSeen = new ArrayList<>();
            int[] liarPort = new int[1];
            ShardmeshNode[] askerRef = new ShardmeshNode[1];
            liar = Tls.server(liarKey)
                    .addService(new DhtGrpc.DhtImplBase() {
                        @Override
                        public void ping(PingRequest request, StreamObserver<PingResponse> out) {
                            out.onNext(PingResponse.newBuilder().setResponder(Wire.contact(
                                    new Contact(liarId, "127.0.0.1", liarPort[0]))).build());
                            out.onCompleted();
                        }

                        @Override
                        public void findNode(FindNodeRequest request, StreamObserver<FindNodeResponse> out) {
                            NodeId target = NodeId.fromHex(request.getTargetId());
                            FindNodeResponse.Builder b = FindNodeResponse.newBuilder()
                                    .setResponder(Wire.contact(new Contact(liarId, "127.0.0.1", liarPort[0])));
                            List<Contact> closeButDead = new ArrayList<>();
                            for (int bit = 0; bit < 40; bit++) {
                                byte[] id = target.bytes();
                                id[31 - bit / 8] ^= (byte) (1 << (bit % 8));
                                // Port 1 refuses connections: a contact nobody answers at.
                                closeButDead.add(new Contact(NodeId.fromBytes(id), "127.0.0.1", 1));
                            }
                            synchronized (junkSeen) {
                                junkSeen.addAll(closeButDead);
                            }
                            for (int copy = 0; copy < 3; copy++) {
                                closeButDead.forEach(c -> b.addContacts(Wire.contact(c)));
                            }
                            if (askerRef[0] != null) {
                                b.addContacts(Wire.contact(askerRef[0].contact()));
                            }
                            b.addContacts(io.shardmesh.proto.v1.Contact.newBuilder().setNodeId("ZZ").setHost("127.0.0.1").setPort(5));
                            b.addContacts(io.shardmesh.proto.v1.Contact.newBuilder().setNodeId("A".repeat(64)).setHost("127.0.0.1").setPort(5));
                            b.addContacts(io.shardmesh.proto.v1.Contact.newBuilder().setNodeId(NodeId.random().hex()).setHost("").setPort(5));
                            b.addContacts(io.shardmesh.proto.v1.Contact.newBuilder().setNodeId(NodeId.random().hex()).setHost("bad host").setPort(5));
                            b.addContacts(io.shardmesh.proto.v1.Contact.newBuilder().setNodeId(NodeId.random().hex()).setHost("127.0.0.1").setPort(0));
                            b.addContacts(io.shardmesh.proto.v1.Contact.newBuilder().setNodeId(NodeId.random().hex()).setHost("127.0.0.1").setPort(70000));
                            for (int i = 0; i < 300; i++) {
                                b.addContacts(Wire.contact(new Contact(NodeId.random(), "127.0.0.1", 1)));
                            }
                            out.onNext(b.build());
                            out.onCompleted();
                        }
                    }).build().start();
            liarPort[0] = liar.getPort();

            asker = ShardmeshNode.builder(dir.resolve("asker")).listen(new HostPort("127.0.0.1", 0))
                    .configure(c -> c.withDht(DhtConfig.defaults().withKademlia(KademliaConfig.defaults().withK(K)
                            .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(20)))))
                    .configure(c -> c.withShutdownGrace(Duration.ofSeconds(2))).start();
            askerRef[0] = asker;
            asker.join(List.of(new HostPort("127.0.0.1", liarPort[0]),
                    new HostPort("127.0.0.1", mesh.node(0).port()))).block(Duration.ofSeconds(60));

            Set<NodeId> real = Stream.concat(mesh.nodes().stream().map(ShardmeshNode::id), Stream.of(liarId))
                    .collect(Collectors.toSet());
            for (int i = 0; i < 5; i++) {
                NodeId target = NodeId.random();
                Lookup.Result found = asker.kademlia().lookupNode(target).block(Duration.ofSeconds(60));
                List<NodeId> trueClosest = real.stream().sorted(Key256.closestTo(target)).limit(K).toList();
                assertThat(found.closest().stream().map(Contact::id).toList())
                        .as("lookup %d for %s", i, target).isEqualTo(trueClosest);
            }
            Set<NodeId> learnt = asker.kademlia().table().entries().stream().map(e -> e.contact().id())
                    .collect(Collectors.toSet());
            assertThat(learnt).as("the routing table holds real nodes only").isSubsetOf(real).isNotEmpty();
            synchronized (junkSeen) {
                assertThat(junkSeen).as("the liar was asked").isNotEmpty();
            }
        } finally {
            if (asker != null) {
                asker.close();
            }
            if (liar != null) {
                liar.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }
}
