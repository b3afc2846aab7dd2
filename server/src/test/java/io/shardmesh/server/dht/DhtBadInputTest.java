package io.shardmesh.server.dht;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.dht.RecordCodec;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.FindNodeRequest;
import io.shardmesh.proto.v1.FindValueRequest;
import io.shardmesh.proto.v1.PingRequest;
import io.shardmesh.proto.v1.Record;
import io.shardmesh.proto.v1.StoreRequest;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.InProcessMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed and hostile DHT requests get a clear status and leave the node unharmed. */
class DhtBadInputTest {

    @TempDir
    Path dir;

    private InProcessMesh mesh;
    private ShardmeshNode node;
    private ManagedChannel channel;
    private DhtGrpc.DhtBlockingStub dht;
    private final NodeKey stranger = NodeKey.generate();

    @BeforeEach
    void start() {
        mesh = new InProcessMesh(dir);
        node = mesh.start(DhtConfig.defaults().withKademlia(KademliaConfig.defaults().withRecordLimits(64 * 1024, 5, 1000)));
        channel = mesh.clientChannel(node);
        dht = DhtGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        mesh.close();
    }

    @Test
    void malformedIds_areInvalidArgumentNamingTheField() {
        assertStatus(() -> dht.findNode(FindNodeRequest.newBuilder().setTargetId("zz").build()),
                Status.Code.INVALID_ARGUMENT, "target_id");
        assertStatus(() -> dht.findValue(FindValueRequest.newBuilder().setKey("A".repeat(64)).build()),
                Status.Code.INVALID_ARGUMENT, "key");
        assertStatus(() -> dht.ping(PingRequest.newBuilder().setSender(io.shardmesh.proto.v1.Contact.newBuilder()
                        .setNodeId("x").setHost("h").setPort(1)).build()),
                Status.Code.INVALID_ARGUMENT, "sender.node_id");
        assertStatus(() -> dht.ping(PingRequest.newBuilder().setSender(io.shardmesh.proto.v1.Contact.newBuilder()
                        .setNodeId(stranger.id().hex()).setHost("h").setPort(70000)).build()),
                Status.Code.INVALID_ARGUMENT, "port");
        assertStatus(() -> dht.findValue(FindValueRequest.newBuilder().setKey(ContentId.random().hex()).setKindValue(99).build()),
                Status.Code.INVALID_ARGUMENT, "kind");
        assertStatus(() -> dht.store(StoreRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, "record is required");
        assertUnharmed();
    }

    @Test
    void oversizedValue_isResourceExhausted() {
        DhtRecord r = DhtRecord.sign(stranger, ContentId.random(), new DhtRecord.Value(new byte[64 * 1024 + 1]),
                System.currentTimeMillis(), Duration.ofHours(1));
        assertStatus(() -> store(r), Status.Code.RESOURCE_EXHAUSTED, "exceeds the limit");
        assertUnharmed();
    }

    @Test
    void providerRecordClaimingAnotherNode_isPermissionDenied() {
        DhtRecord r = DhtRecord.sign(stranger, ContentId.random(),
                new DhtRecord.Provider(node.contact(), List.of(ContentId.random())), System.currentTimeMillis(), Duration.ofHours(1));
        assertStatus(() -> store(r), Status.Code.PERMISSION_DENIED, "holders announce only themselves");
        // And one whose signature was made for other bytes.
        DhtRecord honest = DhtRecord.sign(stranger, ContentId.random(),
                new DhtRecord.Provider(new Contact(stranger.id(), "127.0.0.1", 1234), List.of(ContentId.random())),
                System.currentTimeMillis(), Duration.ofHours(1));
        Record tampered = RecordCodec.toProto(honest).toBuilder()
                .setProvider(RecordCodec.toProto(honest).getProvider().toBuilder().setHolder(Wire.contact(
                        new Contact(stranger.id(), "203.0.113.9", 1234)))).build();
        assertStatus(() -> dht.store(StoreRequest.newBuilder().setRecord(tampered).build()),
                Status.Code.PERMISSION_DENIED, "signature does not verify");
        assertUnharmed();
    }

    @Test
    void storeFloodFromOnePublisher_isCappedAtItsLimit() {
        for (int i = 0; i < 5; i++) {
            assertThat(store(DhtRecord.sign(stranger, ContentId.random(), new DhtRecord.Value(new byte[] {(byte) i}),
                    System.currentTimeMillis(), Duration.ofHours(1))).getStored()).isTrue();
        }
        for (int i = 0; i < 20; i++) {
            assertStatus(() -> store(DhtRecord.sign(stranger, ContentId.random(), new DhtRecord.Value(new byte[1]),
                    System.currentTimeMillis(), Duration.ofHours(1))), Status.Code.RESOURCE_EXHAUSTED, "already has 5 records");
        }
        assertThat(node.status().block(Duration.ofSeconds(5)).dhtRecords()).isEqualTo(5);
        // Another publisher is not affected by the first one's flood.
        assertThat(store(DhtRecord.sign(NodeKey.generate(), ContentId.random(), new DhtRecord.Value(new byte[1]),
                System.currentTimeMillis(), Duration.ofHours(1))).getStored()).isTrue();
        assertUnharmed();
    }

    @Test
    void olderRecordFromTheSamePublisher_doesNotReplaceANewerOne() {
        ContentId key = ContentId.random();
        long now = System.currentTimeMillis();
        DhtRecord newer = DhtRecord.sign(stranger, key, new DhtRecord.Value("new".getBytes()), now, Duration.ofHours(1));
        DhtRecord older = DhtRecord.sign(stranger, key, new DhtRecord.Value("old".getBytes()), now - 1000, Duration.ofHours(1));
        assertThat(store(newer).getStored()).isTrue();
        assertThat(store(older).getStored()).isFalse();
        var found = dht.findValue(FindValueRequest.newBuilder().setKey(key.hex()).build());
        assertThat(found.getRecordsList()).singleElement()
                .satisfies(r -> assertThat(r.getValue()).isEqualTo(ByteString.copyFromUtf8("new")));
    }

    private io.shardmesh.proto.v1.StoreResponse store(DhtRecord r) {
        return dht.store(StoreRequest.newBuilder().setRecord(RecordCodec.toProto(r)).build());
    }

    private void assertUnharmed() {
        assertThat(dht.ping(PingRequest.getDefaultInstance()).getResponder().getNodeId()).isEqualTo(node.id().hex());
    }

    private static void assertStatus(ThrowableAssert.ThrowingCallable call, Status.Code code, String message) {
        assertThatThrownBy(call).isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> {
                    Status s = ((StatusRuntimeException) e).getStatus();
                    assertThat(s.getCode()).isEqualTo(code);
                    assertThat(s.getDescription()).contains(message);
                });
    }
}
