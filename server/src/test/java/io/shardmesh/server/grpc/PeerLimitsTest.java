package io.shardmesh.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.testing.MutableClock;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.FindNodeRequest;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.proto.v1.StoreRequest;
import io.shardmesh.server.node.ShardmeshNode;
import io.shardmesh.server.testing.Chunks;
import io.shardmesh.server.testing.TestChannels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/** Per-peer token buckets: one caller that floods is throttled, the others are served. */
class PeerLimitsTest {

    @TempDir
    Path dir;

    @Test
    void aRateBelowOnePerBurst_stillAdmitsOneCallAtATime() {
        TokenBucket b = PeerLimits.bucket(0.05, Duration.ofSeconds(10), 0);
        assertThat(b.tryTake(1, 0)).isTrue();
        assertThat(b.tryTake(1, 0)).isFalse();
        assertThat(b.millisUntil(1, 0)).isEqualTo(20_000);
        assertThat(b.tryTake(1, 20_000)).isTrue();
    }

    @Test
    void tokenBucket_refillsAtItsRate_upToItsCapacity() {
        TokenBucket b = new TokenBucket(10, 20, 0);
        for (int i = 0; i < 20; i++) {
            assertThat(b.tryTake(1, 0)).isTrue();
        }
        assertThat(b.tryTake(1, 0)).isFalse();
        assertThat(b.millisUntil(1, 0)).isEqualTo(100);
        assertThat(b.tryTake(1, 100)).isTrue();
        assertThat(b.tryTake(1, 100)).isFalse();
        b.debit(50, 100);
        assertThat(b.positive(100)).isFalse();
        assertThat(b.positive(100 + 5_001)).isTrue();
        assertThat(b.tryTake(21, 1_000_000)).as("never more than its capacity").isFalse();
    }

    @Test
    void aPeerFloodingStoreOrFindNode_isThrottledWithARetryHint_andOtherPeersAreServed() throws Exception {
        MutableClock clock = new MutableClock();
        var rates = new GrpcServerConfig.PeerRates(5, 5, 1 << 20, Duration.ofSeconds(1));
        try (ShardmeshNode node = ShardmeshNode.builder(dir.resolve("n")).listen(new HostPort("127.0.0.1", 0)).clock(clock)
                .configure(c -> c.withGrpc(c.grpc().withPeerRates(rates))).start()) {
            ManagedChannel flooder = TestChannels.tls("127.0.0.1", node.port());
            ManagedChannel other = TestChannels.tls("127.0.0.1", node.port());
            try {
                int served = 0;
                int throttled = 0;
                for (int i = 0; i < 30; i++) {
                    Status s = store(flooder);
                    if (s.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                        throttled++;
                        assertThat(s.getDescription()).contains("rate limit: at most 5.0 DHT stores a second").contains("retry in 200 ms");
                    } else {
                        // An empty Store is answered INVALID_ARGUMENT: served, only refused on its merits.
                        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        served++;
                    }
                }
                assertThat(served).as("the burst: a second's worth").isEqualTo(5);
                assertThat(throttled).isEqualTo(25);
                // Another caller (another key) has its own bucket.
                assertThat(store(other).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                // Lookups are counted apart from stores.
                DhtGrpc.newBlockingStub(flooder).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .findNode(FindNodeRequest.newBuilder().setTargetId("00".repeat(32)).build());
                // Time refills the bucket.
                clock.advance(Duration.ofMillis(400));
                assertThat(store(flooder).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(store(flooder).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(store(flooder).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            } finally {
                flooder.shutdownNow();
                other.shutdownNow();
            }
        }
    }

    @Test
    void aPeerFloodingGetChunk_isThrottledOnceItsBytesAreSpent_andOtherPeersAreServed() throws Exception {
        MutableClock clock = new MutableClock();
        var rates = new GrpcServerConfig.PeerRates(100, 100, 64 << 10, Duration.ofSeconds(1));
        byte[] data = Chunks.random(100 << 10, 7);
        GetChunkRequest whole = GetChunkRequest.newBuilder().setChunkId(Chunks.idOf(data).hex()).build();
        try (ShardmeshNode node = ShardmeshNode.builder(dir.resolve("n")).listen(new HostPort("127.0.0.1", 0)).clock(clock)
                .configure(c -> c.withGrpc(c.grpc().withPeerRates(rates))).start()) {
            ManagedChannel flooder = TestChannels.tls("127.0.0.1", node.port());
            ManagedChannel other = TestChannels.tls("127.0.0.1", node.port());
            try {
                ReactorChunksGrpc.newReactorStub(flooder).putChunk(Flux.fromIterable(Chunks.upload(data, 16 << 10)))
                        .block(Duration.ofSeconds(10));
                assertThat(read(flooder, whole)).as("a stream that starts within the budget runs to its end").isEqualTo(data.length);
                assertThatThrownBy(() -> read(flooder, whole))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                            assertThat(e.getStatus().getDescription()).contains("64.0 KiB of chunks a second").contains("retry in");
                        });
                assertThat(read(other, whole)).as("another caller has its own bytes").isEqualTo(data.length);
                // 36 KiB in debt; a second later 28 KiB in hand again.
                clock.advance(Duration.ofSeconds(1));
                assertThat(read(flooder, whole)).isEqualTo(data.length);
            } finally {
                flooder.shutdownNow();
                other.shutdownNow();
            }
        }
    }

    private static int read(ManagedChannel ch, GetChunkRequest request) {
        int bytes = 0;
        for (var it = ChunksGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).getChunk(request); it.hasNext(); ) {
            bytes += it.next().getData().size();
        }
        return bytes;
    }

    private static Status store(ManagedChannel ch) {
        try {
            DhtGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).store(StoreRequest.getDefaultInstance());
            return Status.OK;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                assertThat(e.getTrailers().get(Metadata.Key.of(PeerLimits.RETRY_PUSHBACK, Metadata.ASCII_STRING_MARSHALLER)))
                        .isNotNull();
            }
            return e.getStatus();
        }
    }
}
