package io.shardmesh.server.dht;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.proto.v1.KvGetRequest;
import io.shardmesh.proto.v1.KvGrpc;
import io.shardmesh.proto.v1.KvPutRequest;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Await;
import io.shardmesh.server.testing.InProcessMesh;
import io.shardmesh.server.testing.VirtualClock;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.scheduler.VirtualTimeScheduler;

/** A day of record expiry and republishing, in virtual time. */
class ExpiryAndRepublishTest {

    @TempDir
    Path dir;

    /** Wall-clock time that moves only when the virtual scheduler does. */
    @Test
    void aDayLater_republishedRecordsLive_andOthersExpire() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        vts.advanceTimeTo(Instant.now());
        Clock clock = new VirtualClock(vts);
        DhtConfig settings = DhtConfig.defaults().withIntervals(Duration.ofHours(6), Duration.ofMinutes(10));
        try (InProcessMesh mesh = new InProcessMesh(dir)) {
            ShardmeshNode n1 = mesh.start(dir.resolve("n1"), 31_001, settings, b -> b.clock(clock).timerScheduler(vts));
            ShardmeshNode n2 = mesh.start(dir.resolve("n2"), 31_002, settings, b -> b.clock(clock).timerScheduler(vts));
            n2.kademlia().join(List.of(), List.of(InProcessMesh.address(n1))).block(Duration.ofSeconds(20));

            // n1 publishes (and so republishes) a value; a stranger's record is stored once at n2.
            ManagedChannel ch1 = mesh.clientChannel(n1);
            ManagedChannel ch2 = mesh.clientChannel(n2);
            assertThat(KvGrpc.newBlockingStub(ch1).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .put(KvPutRequest.newBuilder().setKey("kept").setValue(ByteString.copyFromUtf8("alive")).build())
                    .getStoredCount()).isEqualTo(2);
            ContentId keptKey = KeyValues.dhtKey("kept");
            long firstPublish = publishedAt(n2, keptKey);
            ContentId orphanKey = ContentId.random();
            DhtRecord orphan = DhtRecord.sign(NodeKey.generate(), orphanKey, new DhtRecord.Value("gone".getBytes()),
                    clock.millis(), Duration.ofHours(24));
            n2.kademlia().responder().onStore(Optional.empty(), orphan).block(Duration.ofSeconds(5));

            for (int hour = 1; hour <= 25; hour++) {
                vts.advanceTimeBy(Duration.ofHours(1));
                if (hour == 12 || hour == 24) {
                    long deadlineMark = firstPublish + Duration.ofHours(hour).toMillis();
                    Await.until("republish at hour " + hour, Duration.ofSeconds(20),
                            () -> publishedAt(n2, keptKey) >= deadlineMark);
                }
            }
            // Let the last maintenance tick (expiry) finish.
            Await.until("expiry of the stranger's record", Duration.ofSeconds(20),
                    () -> n2.kademlia().records().get(orphanKey, Optional.empty(), clock.millis()).isEmpty()
                            && n2.status().block().dhtRecords() == 1);

            assertThat(KvGrpc.newBlockingStub(ch2).withDeadlineAfter(20, TimeUnit.SECONDS)
                    .get(KvGetRequest.newBuilder().setKey("kept").build()).getValue().toStringUtf8()).isEqualTo("alive");
            ch1.shutdownNow();
            ch2.shutdownNow();
            assertThat(publishedAt(n2, keptKey)).isGreaterThanOrEqualTo(firstPublish + Duration.ofHours(24).toMillis());
        }
    }

    private static long publishedAt(ShardmeshNode n, ContentId key) {
        return n.kademlia().records().get(key, Optional.of(RecordKind.VALUE), 0).stream()
                .mapToLong(DhtRecord::publishedAtUnixMs).max().orElse(-1);
    }
}
