package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.CallOptions;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.common.grpc.Wire;
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
import io.shardmesh.server.chunk.ChunkService;
import io.shardmesh.server.chunk.ChunkUpload;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@code shardmesh.v1.Chunks} over {@link ChunkService}. */
public final class ChunksGrpcService extends ReactorChunksGrpc.ChunksImplBase {

    private final ChunkService chunks;

    public ChunksGrpcService(ChunkService chunks) {
        this.chunks = requireNonNull(chunks, "chunks");
    }

    @Override
    public Flux<GetChunkResponse> getChunk(GetChunkRequest request) {
        return Flux.defer(() -> chunks.read(Wire.contentId(request.getChunkId(), "chunk_id"),
                        request.getOffset(), request.getLength()))
                .map(f -> GetChunkResponse.newBuilder()
                        .setData(UnsafeByteOperations.unsafeWrap(f.data()))
                        .setOffset(f.offset())
                        .setChunkSize(f.chunkSize())
                        .build());
    }

    @Override
    public Mono<PutChunkResponse> putChunk(Flux<PutChunkRequest> requests) {
        return requests.switchOnFirst((first, all) -> {
            if (!first.hasValue()) {
                return first.isOnError() ? Flux.error(first.getThrowable())
                        : Flux.error(MeshException.invalidArgument("PutChunk stream ended before its header"));
            }
            PutChunkRequest head = first.get();
            if (!head.hasHeader()) {
                return Flux.error(MeshException.invalidArgument("the first PutChunk message must be a header"));
            }
            ChunkUpload upload = upload(head.getHeader());
            return chunks.write(upload, all.skip(1).map(r -> {
                if (r.getKindCase() != PutChunkRequest.KindCase.DATA) {
                    throw MeshException.invalidArgument("after the header, PutChunk messages must be data frames");
                }
                return r.getData().asReadOnlyByteBuffer();
            })).flux();
        }).single().map(r -> PutChunkResponse.newBuilder()
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
        return new ChunkUpload(Wire.contentId(h.getChunkId(), "header.chunk_id"), h.getSize(), pin);
    }

    @Override
    public Mono<HasChunksResponse> hasChunks(HasChunksRequest request) {
        return Mono.defer(() -> chunks.has(Wire.contentIds(request.getChunkIdsList(), "chunk_ids", chunks.config().maxBatch())))
                .map(held -> HasChunksResponse.newBuilder().addAllHeldChunkIds(Wire.hex(held)).build());
    }

    @Override
    public Mono<PinResponse> pin(PinRequest request) {
        return Mono.defer(() -> chunks.pin(
                        Wire.contentId(request.getFileId(), "file_id"),
                        Wire.contentIds(request.getChunkIdsList(), "chunk_ids", chunks.config().maxBatch()),
                        Wire.ownerProof(request.hasOwner(), request.getOwner(), "owner")))
                .map(r -> PinResponse.newBuilder()
                        .setPinnedCount(r.pinned())
                        .addAllMissingChunkIds(Wire.hex(r.missing()))
                        .build());
    }

    @Override
    public Mono<UnpinResponse> unpin(UnpinRequest request) {
        return Mono.defer(() -> chunks.unpin(
                        Wire.contentId(request.getFileId(), "file_id"),
                        Wire.contentIds(request.getChunkIdsList(), "chunk_ids", chunks.config().maxBatch()),
                        Wire.ownerProof(request.hasOwner(), request.getOwner(), "owner")))
                .map(n -> UnpinResponse.newBuilder().setUnpinnedCount(n).build());
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
