package io.shardmesh.server.dht;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.proto.v1.ForgetStalePeersRequest;
import io.shardmesh.proto.v1.KvGetRequest;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.KvPutRequest;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PeerInfo;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes: node 2 joins through node 1, node 3 through node 2. */
class KvAndPeersTest {

    @TempDir
    Path dir;

    private InProcessMesh mesh;
    private ShardmeshNode n1;
    private ShardmeshNode n2;
    private ShardmeshNode n3;

    @BeforeEach
    void start() {
        mesh = new InProcessMesh(dir);
        DhtConfig s = DhtConfig.defaults();
        n1 = mesh.start(s);
        n2 = mesh.start(s);
        n2.kademlia().join(List.of(), List.of(InProcessMesh.address(n1))).block(Duration.ofSeconds(30));
        n3 = mesh.start(s);
        n3.kademlia().join(List.of(), List.of(InProcessMesh.address(n2))).block(Duration.ofSeconds(30));
        // Callers are added only once a ping to their claimed address answers: that is async.
        Await.until("every node to know the others", Duration.ofSeconds(20), () -> List.of(n1, n2, n3).stream()
                .allMatch(n -> n.kademlia().table().size() == 2));
    }

    @AfterEach
    void stop() {
        mesh.close();
    }

    private <T> T withChannel(ShardmeshNode n, java.util.function.Function<ManagedChannel, T> call) {
        ManagedChannel ch = mesh.clientChannel(n);
        try {
            return call.apply(ch);
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void kv_putOnOneNode_getOnAnother() {
        var put = withChannel(n1, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .put(KvPutRequest.newBuilder().setKey("hello").setValue(ByteString.copyFromUtf8("world")).build()));
        assertThat(put.getStoredCount()).isEqualTo(3);
        assertThat(put.getDhtKey()).isEqualTo(KeyValues.dhtKey("hello").hex());
        var got = withChannel(n3, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .get(KvGetRequest.newBuilder().setKey("hello").build()));
        assertThat(got.getValue().toStringUtf8()).isEqualTo("world");
        assertThat(got.getPublisherId()).isEqualTo(n1.id().hex());
    }

    @Test
    void kv_newerValueFromAnotherPublisher_wins() {
        withChannel(n1, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .put(KvPutRequest.newBuilder().setKey("k").setValue(ByteString.copyFromUtf8("old")).build()));
        withChannel(n2, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .put(KvPutRequest.newBuilder().setKey("k").setValue(ByteString.copyFromUtf8("new")).build()));
        var got = withChannel(n3, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .get(KvGetRequest.newBuilder().setKey("k").build()));
        assertThat(got.getValue().toStringUtf8()).isEqualTo("new");
    }

    @Test
    void kv_badInput_getsTheRightStatus() {
        assertStatus(() -> withChannel(n1, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .get(KvGetRequest.newBuilder().setKey("missing").build())), Status.Code.NOT_FOUND, "no value");
        assertStatus(() -> withChannel(n1, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .put(KvPutRequest.newBuilder().setKey("").build())), Status.Code.INVALID_ARGUMENT, "key is required");
        assertStatus(() -> withChannel(n1, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .put(KvPutRequest.newBuilder().setKey("x".repeat(257)).build())), Status.Code.INVALID_ARGUMENT, "at most 256");
        assertStatus(() -> withChannel(n1, ch -> KvGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                .put(KvPutRequest.newBuilder().setKey("big").setValue(ByteString.copyFrom(new byte[64 * 1024 + 1])).build())),
                Status.Code.RESOURCE_EXHAUSTED, "at most 65536");
    }

    @Test
    void join_nodeThreeLearnsNodeOneThroughNodeTwo() {
        assertThat(n3.kademlia().table().entry(n1.id())).isPresent();
        var status = withChannel(n3, ch -> NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance()));
        assertThat(status.getRoutingTableSize()).isEqualTo(2);
        assertThat(status.getBucketsList()).isNotEmpty();
    }

    @Test
    void gossip_teachesANodeAPeerItDidNotKnow() {
        // A fourth node that has never spoken to anyone, known to nodes 1 and 2 only: no ping or
        // lookup still in flight from the set-up can teach it to node 3 behind gossip's back
        // (removing node 1 from node 3's table could not promise that).
        ShardmeshNode n4 = mesh.start(DhtConfig.defaults());
        long now = System.currentTimeMillis();
        n1.kademlia().table().observe(n4.kademlia().self(), now);
        n2.kademlia().table().observe(n4.kademlia().self(), now);
        assertThat(n3.kademlia().table().entry(n4.id())).isEmpty();
        long learnt = n3.kademlia().gossip().block(Duration.ofSeconds(30));
        // ExchangePeers with node 1 or 2 names node 4; node 3 pings it before adding it.
        assertThat(learnt).isEqualTo(1);
        assertThat(n3.kademlia().table().entry(n4.id())).isPresent();
    }

    @Test
    void listPeers_showsAddressIdStatusAndRtt_andForgetStalePeersCleansUp() {
        List<PeerInfo> peers = withChannel(n2, ch -> NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .listPeers(ListPeersRequest.getDefaultInstance())).getPeersList();
        assertThat(peers).extracting(p -> p.getContact().getNodeId()).containsExactlyInAnyOrder(n1.id().hex(), n3.id().hex());
        assertThat(peers).allSatisfy(p -> {
            assertThat(p.getStatus()).isEqualTo(PeerStatus.PEER_STATUS_ONLINE);
            assertThat(p.getLastSeenUnixMs()).isPositive();
            assertThat(p.getContact().getHost()).isEqualTo("127.0.0.1");
        });
        var none = withChannel(n2, ch -> NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .forgetStalePeers(ForgetStalePeersRequest.newBuilder().setOlderThanSeconds(3600).build()));
        assertThat(none.getForgottenList()).isEmpty();
        // Anyone may call ForgetStalePeers, so an age under 10 minutes is refused, not quietly raised.
        assertStatus(() -> withChannel(n2, ch -> NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .forgetStalePeers(ForgetStalePeersRequest.newBuilder().setOlderThanSeconds(1).build())),
                Status.Code.INVALID_ARGUMENT, "must be at least 600 (10 min), got 1");
        assertThat(n2.kademlia().table().size()).isEqualTo(2);
        assertStatus(() -> withChannel(n2, ch -> NodeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
                .forgetStalePeers(ForgetStalePeersRequest.newBuilder().setOlderThanSeconds(-1L).build())),
                Status.Code.INVALID_ARGUMENT, "too large");
    }

    private static void assertStatus(Runnable call, Status.Code code, String message) {
        try {
            call.run();
            throw new AssertionError("expected " + code);
        } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(message);
        }
    }
}
