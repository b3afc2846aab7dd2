package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.CallOptions;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.proto.v1.AbortUploadRequest;
import io.shardmesh.proto.v1.AbortUploadResponse;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.GetChunkResponse;
import io.shardmesh.proto.v1.HasChunksRequest;
import io.shardmesh.proto.v1.HasChunksResponse;
import io.shardmesh.proto.v1.PinRequest;
import io.shardmesh.proto.v1.PinResponse;
import io.shardmesh.proto.v1.PutChunkHeader;
import io.shardmesh.proto.v1.PutChunkRequest;
import io.shardmesh.proto.v1.PutChunkResponse;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.proto.v1.UnpinRequest;
import io.shardmesh.proto.v1.UnpinResponse;
import io.shardmesh.server.chunk.ChunkReads;
import io.shardmesh.server.chunk.ChunkUpload;
import io.shardmesh.server.chunk.ChunkUploads;
import io.shardmesh.server.chunk.Pins;
import io.shardmesh.server.repair.RepairPins;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@code shardmesh.v1.Chunks} over the chunk feature's reads, uploads and pins. */
public final class ChunksGrpcService extends ReactorChunksGrpc.ChunksImplBase {

    private static final HeaderThenData<PutChunkRequest, PutChunkHeader> UPLOAD = new HeaderThenData<>("PutChunk",
            PutChunkRequest::hasHeader, PutChunkRequest::getHeader,
            r -> r.getKindCase() == PutChunkRequest.KindCase.DATA ? r.getData().asReadOnlyByteBuffer() : null);

    private final ChunkReads reads;
    private final ChunkUploads uploads;
    private final Pins pins;
    private final RepairPins repairPins;

    public ChunksGrpcService(ChunkReads reads, ChunkUploads uploads, Pins pins, RepairPins repairPins) {
        this.reads = requireNonNull(reads, "reads");
        this.uploads = requireNonNull(uploads, "uploads");
        this.pins = requireNonNull(pins, "pins");
        this.repairPins = requireNonNull(repairPins, "repairPins");
    }

    @Override
    public Flux<GetChunkResponse> getChunk(GetChunkRequest request) {
        return Flux.defer(() -> reads.read(Wire.contentId(request.getChunkId(), "chunk_id"),
                        request.getOffset(), request.getLength()))
                .map(f -> GetChunkResponse.newBuilder()
                        .setData(UnsafeByteOperations.unsafeWrap(f.data()))
                        .setOffset(f.offset())
                        .setChunkSize(f.chunkSize())
                        .build());
    }

    @Override
    public Mono<PutChunkResponse> putChunk(Flux<PutChunkRequest> requests) {
        return UPLOAD.handle(requests, (header, frames) -> uploads.write(upload(header), frames))
                .map(r -> PutChunkResponse.newBuilder()
                        .setChunkId(r.chunkId().hex())
                        .setSize(r.size())
                        .setAlreadyPresent(r.alreadyPresent())
                        .build());
    }

    private static ChunkUpload upload(PutChunkHeader h) {
        Optional<ChunkUpload.PinRequest> pin = Optional.empty();
        if (!h.getFileId().isEmpty()) {
            pin = Optional.of(new ChunkUpload.PinRequest(Wire.contentId(h.getFileId(), "header.file_id"),
                    Wire.ownerProof(h.hasOwner(), h.getOwner(), "header.owner")));
        }
        Optional<String> session = h.getUploadSession().isEmpty() ? Optional.empty()
                : Optional.of(ChunkUpload.checkSession(h.getUploadSession()));
        return new ChunkUpload(Wire.contentId(h.getChunkId(), "header.chunk_id"), h.getSize(), pin, session);
    }

    @Override
    public Mono<HasChunksResponse> hasChunks(HasChunksRequest request) {
        return Mono.defer(() -> reads.has(Wire.contentIds(request.getChunkIdsList(), "chunk_ids", ProtocolLimits.MAX_BATCH_IDS)))
                .map(held -> HasChunksResponse.newBuilder().addAllHeldChunkIds(Wire.hex(held)).build());
    }

    @Override
    public Mono<PinResponse> pin(PinRequest request) {
        return Mono.defer(() -> {
                    var fileId = Wire.contentId(request.getFileId(), "file_id");
                    var chunks = Wire.contentIds(request.getChunkIdsList(), "chunk_ids", ProtocolLimits.MAX_BATCH_IDS);
                    var proof = Wire.ownerProof(request.hasOwner(), request.getOwner(), "owner");
                    return request.getRepair() ? repairPins.pin(fileId, chunks, proof) : pins.pin(fileId, chunks, proof);
                })
                .map(r -> PinResponse.newBuilder()
                        .setPinnedCount(r.pinned())
                        .addAllMissingChunkIds(Wire.hex(r.missing()))
                        .build());
    }

    @Override
    public Mono<UnpinResponse> unpin(UnpinRequest request) {
        return Mono.defer(() -> pins.unpin(
                        Wire.contentId(request.getFileId(), "file_id"),
                        Wire.contentIds(request.getChunkIdsList(), "chunk_ids", ProtocolLimits.MAX_BATCH_IDS),
                        Wire.ownerProof(request.hasOwner(), request.getOwner(), "owner")))
                .map(n -> UnpinResponse.newBuilder().setUnpinnedCount(n).build());
    }

    @Override
    public Mono<AbortUploadResponse> abortUpload(AbortUploadRequest request) {
        return Mono.defer(() -> uploads.abort(request.getUploadSession()))
                .map(r -> AbortUploadResponse.newBuilder().setDeletedCount(r.deletedChunks()).setFreedBytes(r.freedBytes()).build());
    }

    @Override
    protected CallOptions getCallOptions(int methodId) {
        // Uploads buffer a few frames, not reactor-grpc's default of 512.
        return methodId == ReactorChunksGrpc.METHODID_PUT_CHUNK ? StreamFlow.inbound() : null;
    }

    @Override
    protected Throwable onErrorMap(Throwable throwable) {
        return StatusMapper.toStatusException(throwable);
    }
}
