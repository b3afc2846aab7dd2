package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DhtRecordTest {

    private static final long NOW = 1_800_000_000_000L;
    private final NodeKey publisher = NodeKey.generate();
    private final KademliaConfig config = KademliaConfig.defaults();

    @Test
    void verify_signedValue_passes() {
        DhtRecord r = DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value("v".getBytes()), NOW, Duration.ofHours(24));
        r.verify(NOW + 1000, config);
        assertThat(r.expiredAt(NOW + Duration.ofHours(24).toMillis())).isTrue();
    }

    @Test
    void verify_tamperedValue_isPermissionDenied() {
        DhtRecord r = DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value("v".getBytes()), NOW, Duration.ofHours(1));
        DhtRecord forged = new DhtRecord(r.key(), r.publisherId(), r.publisherKey(), r.publishedAtUnixMs(),
                r.expiresAtUnixMs(), new DhtRecord.Value("w".getBytes()), r.signature());
        assertKind(() -> forged.verify(NOW, config), ErrorKind.PERMISSION_DENIED, "signature does not verify");
        DhtRecord longer = new DhtRecord(r.key(), r.publisherId(), r.publisherKey(), r.publishedAtUnixMs(),
                r.expiresAtUnixMs() + 1, r.payload(), r.signature());
        assertKind(() -> longer.verify(NOW, config), ErrorKind.PERMISSION_DENIED, "signature does not verify");
    }

    @Test
    void verify_providerRecordForAnotherHolder_isPermissionDenied() {
        NodeKey holder = NodeKey.generate();
        DhtRecord r = DhtRecord.sign(publisher, ContentId.random(),
                new DhtRecord.Provider(new Contact(holder.id(), "127.0.0.1", 7071), List.of(ContentId.random())),
                NOW, Duration.ofHours(1));
        assertKind(() -> r.verify(NOW, config), ErrorKind.PERMISSION_DENIED, "holders announce only themselves");
    }

    @Test
    void verify_publisherIdNotMatchingKey_isPermissionDenied() {
        DhtRecord r = DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value(new byte[1]), NOW, Duration.ofHours(1));
        DhtRecord lying = new DhtRecord(r.key(), NodeKey.generate().id(), r.publisherKey(), r.publishedAtUnixMs(),
                r.expiresAtUnixMs(), r.payload(), r.signature());
        assertKind(() -> lying.verify(NOW, config), ErrorKind.PERMISSION_DENIED, "is not the SHA-256");
    }

    @Test
    void verify_oversizedValue_isResourceExhausted() {
        DhtRecord r = DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value(new byte[64 * 1024 + 1]), NOW,
                Duration.ofHours(1));
        assertKind(() -> r.verify(NOW, config), ErrorKind.RESOURCE_EXHAUSTED, "exceeds the limit");
    }

    @Test
    void verify_impossibleTimes_areInvalidArgument() {
        assertKind(() -> DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value(new byte[1]), NOW, Duration.ofDays(3))
                .verify(NOW, config), ErrorKind.INVALID_ARGUMENT, "exceeds the maximum");
        assertKind(() -> DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value(new byte[1]), NOW, Duration.ofHours(1))
                .verify(NOW + Duration.ofHours(2).toMillis(), config), ErrorKind.INVALID_ARGUMENT, "expired");
        assertKind(() -> DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value(new byte[1]),
                NOW + Duration.ofHours(1).toMillis(), Duration.ofHours(1)).verify(NOW, config), ErrorKind.INVALID_ARGUMENT, "future");
    }

    @Test
    void signedBytes_areTheDocumentedCanonicalText() {
        NodeKey holder = publisher;
        ContentId key = ContentId.fromHex("a".repeat(64));
        ContentId chunk = ContentId.fromHex("b".repeat(64));
        DhtRecord r = DhtRecord.sign(holder, key,
                new DhtRecord.Provider(new Contact(holder.id(), "10.1.2.3", 7070), List.of(chunk)), 5, Duration.ofMillis(10));
        assertThat(new String(r.signedBytes(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(String.join("\n",
                "shardmesh.v1.Record", key.hex(), "RECORD_KIND_PROVIDER", holder.id().hex(), "5", "15",
                holder.id().hex(), "10.1.2.3", "7070", chunk.hex()));
    }

    private static void assertKind(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, ErrorKind kind, String msg) {
        assertThatThrownBy(call).isInstanceOf(MeshException.class).hasMessageContaining(msg)
                .satisfies(e -> assertThat(((MeshException) e).kind()).isEqualTo(kind));
    }
}
