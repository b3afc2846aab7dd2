package io.shardmesh.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.GetChunkResponse;
import io.shardmesh.proto.v1.HasChunksRequest;
import io.shardmesh.proto.v1.PinRequest;
import io.shardmesh.proto.v1.PinResponse;
import io.shardmesh.proto.v1.PutChunkHeader;
import io.shardmesh.proto.v1.PutChunkRequest;
import io.shardmesh.proto.v1.PutChunkResponse;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.proto.v1.UnpinRequest;
import io.shardmesh.server.chunk.ChunkConfig;
import io.shardmesh.server.testing.Chunks;
import io.shardmesh.server.testing.InProcessNode;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class ChunksGrpcServiceTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private InProcessNode n;
    private ReactorChunksGrpc.ReactorChunksStub stub;

    @BeforeEach
    void start() {
        // Small hot-entry limit: chunks over 64 KiB take the disk-streaming path.
        n = InProcessNode.start(dir, b -> b.configure(c -> c.withMaxStorageBytes(8L << 20))
                .configure(c -> c.withChunks(ChunkConfig.defaults().withHotCache(1 << 20, 64 << 10).withMaxChunkBytes(4L << 20))));
        stub = StreamFlow.chunkStreams(ReactorChunksGrpc.newReactorStub(n.channel))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        n.close();
    }

    private PutChunkResponse put(byte[] bytes) {
        return stub.putChunk(Flux.fromIterable(Chunks.upload(bytes, 100_000))).block(WAIT);
    }

    private byte[] get(GetChunkRequest request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stub.getChunk(request).doOnNext(f -> out.writeBytes(f.getData().toByteArray())).then().block(WAIT);
        return out.toByteArray();
    }

    private static GetChunkRequest req(ContentId id) {
        return GetChunkRequest.newBuilder().setChunkId(id.hex()).build();
    }

    private static void assertStatus(Throwable e, Status.Code code, String message) {
        assertThat(e).isInstanceOf(StatusRuntimeException.class);
        Status s = ((StatusRuntimeException) e).getStatus();
        assertThat(s.getCode()).isEqualTo(code);
        assertThat(s.getDescription()).contains(message);
    }

    // ---- PutChunk / GetChunk round trips ----

    @Test
    void putThenGet_smallChunk_roundTripsFromMemory() {
        byte[] data = Chunks.random(10_000, 1);
        PutChunkResponse r = put(data);
        assertThat(r.getChunkId()).isEqualTo(Chunks.idOf(data).hex());
        assertThat(r.getSize()).isEqualTo(10_000);
        assertThat(r.getAlreadyPresent()).isFalse();
        assertThat(get(req(Chunks.idOf(data)))).isEqualTo(data);
    }

    @Test
    void putThenGet_largeChunk_streamsFromDiskInFramesOfAtMostTheFrameSize() {
        byte[] data = Chunks.random(3 * (1 << 20) + 17, 2);
        put(data);
        List<GetChunkResponse> frames = stub.getChunk(req(Chunks.idOf(data))).collectList().block(WAIT);
        assertThat(frames).hasSizeGreaterThan(3);
        assertThat(frames).allSatisfy(f -> {
            assertThat(f.getData().size()).isLessThanOrEqualTo(ChunkConfig.DEFAULT_FRAME_BYTES);
            assertThat(f.getChunkSize()).isEqualTo(data.length);
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long expectedOffset = 0;
        for (GetChunkResponse f : frames) {
            assertThat(f.getOffset()).isEqualTo(expectedOffset);
            out.writeBytes(f.getData().toByteArray());
            expectedOffset += f.getData().size();
        }
        assertThat(out.toByteArray()).isEqualTo(data);
    }

    @Test
    void put_emptyChunk_isStoredAndReadAsOneEmptyFrame() {
        byte[] empty = new byte[0];
        put(empty);
        List<GetChunkResponse> frames = stub.getChunk(req(Chunks.idOf(empty))).collectList().block(WAIT);
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).getData().isEmpty()).isTrue();
        assertThat(frames.get(0).getChunkSize()).isZero();
    }

    @Test
    void put_sameChunkTwice_secondIsAlreadyPresentAndStoredOnce() {
        byte[] data = Chunks.random(5000, 3);
        put(data);
        assertThat(put(data).getAlreadyPresent()).isTrue();
        assertThat(n.node.status().block().storedChunks()).isEqualTo(1);
        assertThat(n.node.status().block().storedBytes()).isEqualTo(5000);
    }

    @Test
    void get_rangeOfChunk_returnsThoseBytes() {
        byte[] data = Chunks.random(200_000, 4);
        put(data);
        ContentId id = Chunks.idOf(data);
        byte[] part = get(GetChunkRequest.newBuilder().setChunkId(id.hex()).setOffset(1000).setLength(150_000).build());
        assertThat(part).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 151_000));
        byte[] tail = get(GetChunkRequest.newBuilder().setChunkId(id.hex()).setOffset(199_990).build());
        assertThat(tail).isEqualTo(java.util.Arrays.copyOfRange(data, 199_990, 200_000));
        byte[] clipped = get(GetChunkRequest.newBuilder().setChunkId(id.hex()).setOffset(199_000).setLength(5000).build());
        assertThat(clipped).hasSize(1000);
        // offset + length overflows a long: still "to the end" (HostileFuzzIT found it as INTERNAL).
        byte[] huge = get(GetChunkRequest.newBuilder().setChunkId(id.hex()).setOffset(1000).setLength(Long.MAX_VALUE - 10).build());
        assertThat(huge).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 200_000));
    }

    // ---- bad input ----

    @Test
    void get_malformedId_isInvalidArgumentNamingTheField() {
        StepVerifier.create(stub.getChunk(GetChunkRequest.newBuilder().setChunkId("ABC").build()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "chunk_id"))
                .verify(WAIT);
        StepVerifier.create(stub.getChunk(GetChunkRequest.getDefaultInstance()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "chunk_id is required"))
                .verify(WAIT);
    }

    @Test
    void get_unknownChunk_isNotFound() {
        StepVerifier.create(stub.getChunk(req(ContentId.random())))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.NOT_FOUND, "not stored on this node"))
                .verify(WAIT);
    }

    @Test
    void get_offsetPastEnd_isOutOfRange() {
        byte[] data = Chunks.random(100, 5);
        put(data);
        StepVerifier.create(stub.getChunk(GetChunkRequest.newBuilder().setChunkId(Chunks.idOf(data).hex()).setOffset(101).build()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.OUT_OF_RANGE, "past the end"))
                .verify(WAIT);
    }

    @Test
    void put_bytesThatDoNotMatchTheId_isDataLossAndKeepsNothing() {
        byte[] data = Chunks.random(50_000, 6);
        String otherId = ContentId.random().hex();
        StepVerifier.create(stub.putChunk(Flux.fromIterable(Chunks.upload(otherId, data.length, data, 10_000))))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.DATA_LOSS, "not to the declared chunk id"))
                .verify(WAIT);
        assertNothingKept();
    }

    @Test
    void put_streamShorterThanDeclared_isInvalidArgumentAndKeepsNothing() {
        byte[] data = Chunks.random(50_000, 7);
        StepVerifier.create(stub.putChunk(Flux.fromIterable(Chunks.upload(Chunks.idOf(data).hex(), 60_000, data, 10_000))))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "ended after 50000"))
                .verify(WAIT);
        assertNothingKept();
    }

    @Test
    void put_streamLongerThanDeclared_isInvalidArgumentAndKeepsNothing() {
        byte[] data = Chunks.random(50_000, 8);
        StepVerifier.create(stub.putChunk(Flux.fromIterable(Chunks.upload(Chunks.idOf(data).hex(), 40_000, data, 10_000))))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "declared 40000 bytes but more arrived"))
                .verify(WAIT);
        assertNothingKept();
    }

    @Test
    void put_declaredSizeOverTheNodeLimit_isInvalidArgumentBeforeAnyWrite() {
        StepVerifier.create(stub.putChunk(Flux.fromIterable(Chunks.upload(ContentId.random().hex(), 5L << 20, new byte[0], 1))))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "larger than this node's limit"))
                .verify(WAIT);
        assertNothingKept();
    }

    @Test
    void put_frameOverTheMessageLimit_isRejectedByTheTransport() {
        byte[] data = Chunks.random(ProtocolLimits.MAX_MESSAGE_BYTES + 10, 9);
        StepVerifier.create(stub.putChunk(Flux.fromIterable(Chunks.upload(data, data.length))))
                .expectErrorSatisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getCode())
                        .isIn(Status.Code.RESOURCE_EXHAUSTED, Status.Code.INVALID_ARGUMENT))
                .verify(WAIT);
        assertNothingKept();
    }

    @Test
    void put_withoutHeader_isInvalidArgument() {
        StepVerifier.create(stub.putChunk(Flux.just(PutChunkRequest.newBuilder().setData(ByteString.copyFromUtf8("x")).build())))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "first PutChunk message must be a header"))
                .verify(WAIT);
        StepVerifier.create(stub.putChunk(Flux.empty()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "ended before its header"))
                .verify(WAIT);
    }

    @Test
    void put_secondHeader_isInvalidArgument() {
        byte[] data = Chunks.random(10, 10);
        PutChunkRequest header = Chunks.upload(data, 10).get(0);
        StepVerifier.create(stub.putChunk(Flux.just(header, header)))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "must be data frames"))
                .verify(WAIT);
        assertNothingKept();
    }

    @Test
    void put_whenQuotaIsFull_isResourceExhaustedAndWritesNothing() {
        put(Chunks.random(3 << 20, 11));
        put(Chunks.random(3 << 20, 12));
        byte[] third = Chunks.random(3 << 20, 13);
        StepVerifier.create(stub.putChunk(Flux.fromIterable(Chunks.upload(third, 1 << 20))))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.RESOURCE_EXHAUSTED, "quota"))
                .verify(WAIT);
        assertThat(n.node.status().block().storedChunks()).isEqualTo(2);
        assertThat(tmpFiles()).isEmpty();
        assertThat(n.node.status().block().reservedBytes()).isZero();
        // Reads still work when full.
        assertThat(get(req(Chunks.idOf(Chunks.random(3 << 20, 11))))).hasSize(3 << 20);
    }

    // ---- cancellation ----

    @Test
    void get_cancelledMidStream_releasesTheChunkFile() throws Exception {
        byte[] data = Chunks.random(4 << 20, 14);
        put(data);
        Path chunkFile = chunkPath(Chunks.idOf(data));
        StepVerifier.create(stub.getChunk(req(Chunks.idOf(data))), 1)
                .expectNextCount(1)
                .thenCancel()
                .verify(WAIT);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (openHandles(chunkFile) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(openHandles(chunkFile)).as("open handles on the chunk file after cancel").isZero();
        // The node still serves it afterwards.
        assertThat(get(req(Chunks.idOf(data)))).isEqualTo(data);
    }

    @Test
    void put_cancelledMidStream_leavesNoTempFileAndNoReservation() throws Exception {
        byte[] data = Chunks.random(2 << 20, 15);
        List<PutChunkRequest> msgs = Chunks.upload(data, 64 << 10);
        // Header and a few frames, then the client stops sending and cancels.
        Flux<PutChunkRequest> partial = Flux.concat(Flux.fromIterable(msgs.subList(0, 4)), Flux.never());
        var disposable = stub.putChunk(partial).subscribe(r -> { }, e -> { });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (n.node.status().block().reservedBytes() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(n.node.status().block().reservedBytes()).as("upload started").isEqualTo(data.length);
        disposable.dispose();
        while ((n.node.status().block().reservedBytes() != 0 || !tmpFiles().isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertNothingKept();
    }

    // ---- HasChunks ----

    @Test
    void hasChunks_returnsHeldSubsetInRequestOrder() {
        byte[] a = Chunks.random(10, 16);
        byte[] b = Chunks.random(10, 17);
        put(a);
        put(b);
        var r = stub.hasChunks(HasChunksRequest.newBuilder()
                .addChunkIds(Chunks.idOf(b).hex()).addChunkIds(ContentId.random().hex()).addChunkIds(Chunks.idOf(a).hex())
                .build()).block(WAIT);
        assertThat(r.getHeldChunkIdsList()).containsExactly(Chunks.idOf(b).hex(), Chunks.idOf(a).hex());
    }

    @Test
    void hasChunks_badIdOrTooMany_isInvalidArgument() {
        StepVerifier.create(stub.hasChunks(HasChunksRequest.newBuilder().addChunkIds("nope").build()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "chunk_ids[0]"))
                .verify(WAIT);
        HasChunksRequest.Builder big = HasChunksRequest.newBuilder();
        for (int i = 0; i < 4097; i++) {
            big.addChunkIds(ContentId.random().hex());
        }
        StepVerifier.create(stub.hasChunks(big.build()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "at most 4096"))
                .verify(WAIT);
    }

    // ---- Pin / Unpin / garbage collection ----

    @Test
    void pin_keepsChunksThroughGarbageCollectionAndReportsMissing() {
        NodeKey owner = NodeKey.generate();
        byte[] kept = Chunks.random(100, 18);
        byte[] loose = Chunks.random(100, 19);
        put(kept);
        put(loose);
        ContentId file = ContentId.random();
        ContentId missing = ContentId.random();
        List<ContentId> ids = List.of(Chunks.idOf(kept), missing);
        PinResponse r = stub.pin(PinRequest.newBuilder().setFileId(file.hex()).addAllChunkIds(hex(ids))
                .setOwner(Chunks.pinProof(owner, file, ids, n.clock.millis())).build()).block(WAIT);
        assertThat(r.getPinnedCount()).isEqualTo(1);
        assertThat(r.getMissingChunkIdsList()).containsExactly(missing.hex());

        n.clock.advance(ChunkConfig.DEFAULT_GC_GRACE.plusMinutes(1));
        var gc = n.node.collectGarbage().block(WAIT);
        assertThat(gc.chunks()).isEqualTo(1);
        assertThat(get(req(Chunks.idOf(kept)))).isEqualTo(kept);
        StepVerifier.create(stub.getChunk(req(Chunks.idOf(loose))))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.NOT_FOUND, "not stored"))
                .verify(WAIT);
    }

    @Test
    void gc_unpinnedChunkWithinGrace_isKept() {
        byte[] young = Chunks.random(100, 20);
        put(young);
        n.clock.advance(ChunkConfig.DEFAULT_GC_GRACE.minusMinutes(5));
        assertThat(n.node.collectGarbage().block(WAIT).chunks()).isZero();
        assertThat(get(req(Chunks.idOf(young)))).isEqualTo(young);
    }

    @Test
    void putChunk_withPinInHeader_isPinnedAtOnce() {
        NodeKey owner = NodeKey.generate();
        byte[] data = Chunks.random(1000, 21);
        ContentId id = Chunks.idOf(data);
        ContentId file = ContentId.random();
        List<PutChunkRequest> msgs = new java.util.ArrayList<>(Chunks.upload(data, 1000));
        msgs.set(0, PutChunkRequest.newBuilder().setHeader(PutChunkHeader.newBuilder()
                .setChunkId(id.hex()).setSize(data.length).setFileId(file.hex())
                .setOwner(Chunks.pinProof(owner, file, List.of(id), n.clock.millis()))).build());
        stub.putChunk(Flux.fromIterable(msgs)).block(WAIT);
        n.clock.advance(Duration.ofDays(2));
        assertThat(n.node.collectGarbage().block(WAIT).chunks()).isZero();
        assertThat(get(req(id))).isEqualTo(data);
    }

    @Test
    void pin_forgedOrMissingSignature_isRejected() {
        byte[] data = Chunks.random(100, 22);
        put(data);
        ContentId file = ContentId.random();
        List<ContentId> ids = List.of(Chunks.idOf(data));
        var forged = Chunks.pinProof(NodeKey.generate(), ContentId.random(), ids, n.clock.millis());
        StepVerifier.create(stub.pin(PinRequest.newBuilder().setFileId(file.hex()).addAllChunkIds(hex(ids)).setOwner(forged).build()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.PERMISSION_DENIED, "does not verify"))
                .verify(WAIT);
        StepVerifier.create(stub.pin(PinRequest.newBuilder().setFileId(file.hex()).addAllChunkIds(hex(ids)).build()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "owner is required"))
                .verify(WAIT);
    }

    @Test
    void unpin_byOwner_letsGarbageCollectionTakeTheChunk_andByOthersIsPermissionDenied() {
        NodeKey owner = NodeKey.generate();
        NodeKey stranger = NodeKey.generate();
        byte[] data = Chunks.random(100, 23);
        put(data);
        ContentId file = ContentId.random();
        List<ContentId> ids = List.of(Chunks.idOf(data));
        stub.pin(PinRequest.newBuilder().setFileId(file.hex()).addAllChunkIds(hex(ids))
                .setOwner(Chunks.pinProof(owner, file, ids, n.clock.millis())).build()).block(WAIT);

        StepVerifier.create(stub.unpin(UnpinRequest.newBuilder().setFileId(file.hex())
                        .setOwner(Chunks.unpinProof(stranger, file, List.of(), n.clock.millis())).build()))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.PERMISSION_DENIED, "pinned by another owner"))
                .verify(WAIT);

        var r = stub.unpin(UnpinRequest.newBuilder().setFileId(file.hex())
                .setOwner(Chunks.unpinProof(owner, file, List.of(), n.clock.millis())).build()).block(WAIT);
        assertThat(r.getUnpinnedCount()).isEqualTo(1);
        n.clock.advance(ChunkConfig.DEFAULT_GC_GRACE.plusMinutes(1));
        assertThat(n.node.collectGarbage().block(WAIT).chunks()).isEqualTo(1);
    }

    @Test
    void get_corruptedOnDisk_isDataLossAndQuarantined() throws Exception {
        byte[] data = Chunks.random(300_000, 24);
        put(data);
        ContentId id = Chunks.idOf(data);
        byte[] onDisk = Files.readAllBytes(chunkPath(id));
        onDisk[12345] ^= 0x01;
        Files.write(chunkPath(id), onDisk);
        StepVerifier.create(stub.getChunk(req(id)))
                .expectErrorSatisfies(e -> assertStatus(e, Status.Code.DATA_LOSS, "quarantined"))
                .verify(WAIT);
        assertThat(chunkPath(id)).doesNotExist();
        try (Stream<Path> q = Files.list(dir.resolve("quarantine"))) {
            assertThat(q.toList()).hasSize(1);
        }
        // A good copy can be uploaded again afterwards.
        assertThat(put(data).getAlreadyPresent()).isFalse();
        assertThat(get(req(id))).isEqualTo(data);
    }

    private Path chunkPath(ContentId id) {
        String h = id.hex();
        return dir.resolve("chunks").resolve(h.substring(0, 2)).resolve(h.substring(2, 4)).resolve(h);
    }

    private List<Path> tmpFiles() {
        try (Stream<Path> s = Files.list(dir.resolve("tmp"))) {
            return s.toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void assertNothingKept() {
        // The store gives back the reservation and the temp file on another thread; give it a moment.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((!tmpFiles().isEmpty() || n.node.status().block().reservedBytes() != 0) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(tmpFiles()).as("temp files").isEmpty();
        assertThat(n.node.status().block().reservedBytes()).as("reserved bytes").isZero();
        assertThat(n.node.status().block().storedChunks()).as("stored chunks").isZero();
    }

    private static long openHandles(Path file) throws java.io.IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file.toAbsolutePath());
                } catch (Exception e) {
                    return false;
                }
            }).count();
        }
    }

    private static List<String> hex(List<ContentId> ids) {
        return ids.stream().map(ContentId::hex).toList();
    }
}
