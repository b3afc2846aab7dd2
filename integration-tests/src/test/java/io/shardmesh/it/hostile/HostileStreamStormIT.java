package io.shardmesh.it.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.shardmesh.it.harness.NodeProcess;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.GetChunkResponse;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.server.testing.Chunks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;

/**
 * 1,000 GetChunk streams open at once against one real node process (256 MiB heap): each ends
 * with the whole shard or a clear RESOURCE_EXHAUSTED, the node's heap after a full collection
 * is back near where it was, and the node serves on.
 */
class HostileStreamStormIT {

    static final int STREAMS = 1000;
    static final int CHANNELS = 4;
    static final int CHUNK = 512 * 1024;
    /** What the node may keep after the storm beyond what it kept before: slack, not a leak of 1,000 streams. */
    static final long HEAP_SLACK = 48L << 20;

    @TempDir
    Path dir;

    @Test
    void thousandConcurrentGetChunkStreams_endCleanly_withBoundedMemory() throws Exception {
        try (NodeProcess node = NodeProcess.start(dir.resolve("n"))) {
            byte[] chunk = Chunks.random(CHUNK, 12);
            String id = Chunks.idOf(chunk).hex();
            ReactorChunksGrpc.newReactorStub(node.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .putChunk(Flux.fromIterable(Chunks.upload(chunk, 256 * 1024))).block(Duration.ofSeconds(40));
            long before = node.heapUsedAfterGc();

            List<ManagedChannel> channels = new ArrayList<>();
            for (int i = 0; i < CHANNELS; i++) {
                channels.add(node.channel());
            }
            CountDownLatch opened = new CountDownLatch(STREAMS);
            CountDownLatch ended = new CountDownLatch(STREAMS);
            Map<Status.Code, Integer> outcomes = new ConcurrentHashMap<>();
            Map<Status.Code, String> example = new ConcurrentHashMap<>();
            AtomicLong shortReads = new AtomicLong();
            List<ClientCallStreamObserver<GetChunkRequest>> calls = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                ChunksGrpc.newStub(channels.get(i % CHANNELS)).withDeadlineAfter(120, TimeUnit.SECONDS)
                        .getChunk(GetChunkRequest.newBuilder().setChunkId(id).build(),
                                new ClientResponseObserver<GetChunkRequest, GetChunkResponse>() {
                                    private long bytes;
                                    private boolean first = true;

                                    @Override
                                    public void beforeStart(ClientCallStreamObserver<GetChunkRequest> call) {
                                        // One frame each until every stream is open: all 1,000 at once on the node.
                                        call.disableAutoRequestWithInitial(1);
                                        synchronized (calls) {
                                            calls.add(call);
                                        }
                                    }

                                    @Override
                                    public void onNext(GetChunkResponse f) {
                                        bytes += f.getData().size();
                                        if (first) {
                                            first = false;
                                            opened.countDown();
                                        }
                                    }

                                    @Override
                                    public void onError(Throwable t) {
                                        example.putIfAbsent(Status.fromThrowable(t).getCode(), Status.fromThrowable(t).toString());
                                        end(Status.fromThrowable(t).getCode());
                                    }

                                    @Override
                                    public void onCompleted() {
                                        if (bytes != CHUNK) {
                                            shortReads.incrementAndGet();
                                        }
                                        end(Status.Code.OK);
                                    }

                                    private void end(Status.Code code) {
                                        outcomes.merge(code, 1, Integer::sum);
                                        if (first) {
                                            first = false;
                                            opened.countDown();
                                        }
                                        ended.countDown();
                                    }
                                });
            }
            assertThat(opened.await(120, TimeUnit.SECONDS)).as("every stream got its first frame or its status").isTrue();
            synchronized (calls) {
                calls.forEach(c -> c.request(Integer.MAX_VALUE));
            }
            assertThat(ended.await(120, TimeUnit.SECONDS)).as("every stream ended").isTrue();

            String log = node.stderr();
            assertThat(outcomes.keySet()).as("outcomes %s, for example %s; the node logged:%n%s", outcomes, example,
                            log.substring(Math.max(0, log.length() - 4000)))
                    .isSubsetOf(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED);
            assertThat(shortReads.get()).as("streams that ended OK without the whole shard").isZero();
            assertThat(outcomes.getOrDefault(Status.Code.OK, 0)).as("some streams were served").isPositive();
            channels.forEach(ManagedChannel::shutdownNow);

            long after = node.heapUsedAfterGc();
            assertThat(after).as("heap after GC: %d MiB before, %d MiB after", before >> 20, after >> 20)
                    .isLessThan(before + HEAP_SLACK);
            assertThat(node.healthy()).isTrue();
        }
    }
}
