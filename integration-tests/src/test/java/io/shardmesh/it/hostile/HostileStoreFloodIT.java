package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.dht.RecordCodec;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PingRequest;
import io.shardmesh.proto.v1.ReactorDhtGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StoreRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One publisher floods a real node process with DHT Stores: the node keeps exactly its
 * per-publisher cap (10,000), refuses every record past it with RESOURCE_EXHAUSTED, keeps its
 * heap flat (records live in its database, not in memory), and still stores and answers for
 * everyone else. The per-caller Store rate limit is raised out of the way here: it would refuse
 * most of a flood this fast long before the cap (PeerLimitsTest covers that limit).
 */
class HostileStoreFloodIT {

    static final int CAP = KademliaConfig.DEFAULT_MAX_RECORDS_PER_PUBLISHER;
    static final int BEYOND = 200;
    static final int IN_FLIGHT = 32;
    static final long HEAP_SLACK = 32L << 20;

    @TempDir
    Path dir;

    @Test
    void storeFloodFromOnePublisher_isCappedAndRefused_withFlatMemory_andOthersAreServed() throws Exception {
        try (NodeProcess node = NodeProcess.start(dir.resolve("n"), "--peer-store-rate", "1000000")) {
            ManagedChannel ch = node.channel();
            long before = node.heapUsedAfterGc();
            NodeKey flooder = NodeKey.generate();

            Map<Status.Code, Integer> outcomes = new ConcurrentHashMap<>();
            Flux.range(0, CAP + BEYOND)
                    .flatMapSequential(i -> store(ch, flooder, i)
                            .map(r -> Status.Code.OK)
                            .onErrorResume(e -> Mono.just(Status.fromThrowable(e).getCode()))
                            .map(code -> Map.entry(i, code)), IN_FLIGHT)
                    .doOnNext(e -> outcomes.merge(e.getValue(), 1, Integer::sum))
                    .blockLast(Duration.ofMinutes(5));

            assertThat(outcomes).as("outcomes").containsOnlyKeys(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED);
            assertThat(outcomes.get(Status.Code.OK)).isEqualTo(CAP);
            assertThat(outcomes.get(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(BEYOND);
            assertThat(NodeGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance()).getDhtRecords()).isEqualTo(CAP);

            // Everyone else is still served.
            assertThat(store(ch, NodeKey.generate(), 0).block(Duration.ofSeconds(40)).getStored()).isTrue();
            assertThat(DhtGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .ping(PingRequest.getDefaultInstance()).getResponder().getNodeId()).isEqualTo(node.nodeId());
            long after = node.heapUsedAfterGc();
            assertThat(after).as("heap after GC: %d MiB before, %d MiB after", before >> 20, after >> 20)
                    .isLessThan(before + HEAP_SLACK);
            assertThat(node.healthy()).isTrue();
        }
    }

    private static Mono<io.shardmesh.proto.v1.StoreResponse> store(ManagedChannel ch, NodeKey publisher, int i) {
        return Mono.defer(() -> {
            DhtRecord r = DhtRecord.sign(publisher, ContentId.random(), new DhtRecord.Value(new byte[] {(byte) i}),
                    System.currentTimeMillis(), Duration.ofHours(1));
            return ReactorDhtGrpc.newReactorStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .store(StoreRequest.newBuilder().setRecord(RecordCodec.toProto(r)).build());
        });
    }
}
