package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.CallOptions;
import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.grpc.StreamFlow;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.manifest.ManifestCodec;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.common.transfer.TransferConfig;
import io.shardmesh.proto.v1.FileEntry;
import io.shardmesh.proto.v1.FilesDeleteRequest;
import io.shardmesh.proto.v1.FilesDeleteResponse;
import io.shardmesh.proto.v1.FilesGetRequest;
import io.shardmesh.proto.v1.FilesGetResponse;
import io.shardmesh.proto.v1.FilesListRequest;
import io.shardmesh.proto.v1.FilesListResponse;
import io.shardmesh.proto.v1.FilesPutHeader;
import io.shardmesh.proto.v1.FilesPutRequest;
import io.shardmesh.proto.v1.FilesPutResponse;
import io.shardmesh.proto.v1.FilesStatRequest;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.proto.v1.ReactorFilesGrpc;
import io.shardmesh.proto.v1.ShardShares;
import io.shardmesh.proto.v1.StripeShares;
import io.shardmesh.server.files.FilesService;
import io.shardmesh.server.files.ManifestIndex;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@code shardmesh.v1.Files}: the node as a gateway over the put and get pipelines. */
public final class FilesGrpcService extends ReactorFilesGrpc.FilesImplBase {

    /** Frames of Files.Get. */
    static final int FRAME_BYTES = ProtocolLimits.FILE_FRAME_BYTES;

    /** Files.List page sizes. */
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    private static final HeaderThenData<FilesPutRequest, FilesPutHeader> UPLOAD = new HeaderThenData<>("Files.Put",
            FilesPutRequest::hasHeader, FilesPutRequest::getHeader,
            r -> r.getKindCase() == FilesPutRequest.KindCase.DATA ? r.getData().asReadOnlyByteBuffer() : null);

    private final FilesService files;

    public FilesGrpcService(FilesService files) {
        this.files = requireNonNull(files, "files");
    }

    @Override
    public Mono<FilesPutResponse> put(Flux<FilesPutRequest> requests) {
        return UPLOAD.handle(requests, (header, data) -> files.put(options(header), data)).map(Wire::putResponse);
    }

    private static FilePut.Options options(FilesPutHeader h) {
        return new FilePut.Options(h.getName(),
                h.hasK() ? h.getK() : TransferConfig.DEFAULT_K,
                h.hasM() ? h.getM() : TransferConfig.DEFAULT_M,
                h.hasShardSize() ? h.getShardSize() : TransferConfig.DEFAULT_SHARD_SIZE,
                h.getEncrypt(), h.getAllowDegraded());
    }

    @Override
    public Flux<FilesGetResponse> get(FilesGetRequest request) {
        return Flux.defer(() -> {
            ContentId fileId = Wire.contentId(request.getFileId(), "file_id");
            Optional<byte[]> key = key(request.getKey());
            return files.resolveForRead(fileId, key).flatMapMany(r -> {
                long[] offset = {request.getOffset()};
                boolean[] firstFrame = {true};
                return files.read(r, key, request.getOffset(), request.getLength())
                        // Prefetch 1: the default of 32 would hold 32 stripes for a slow client.
                        .concatMapIterable(FilesGrpcService::frames, 1)
                        .map(data -> {
                            FilesGetResponse.Builder b = FilesGetResponse.newBuilder()
                                    .setData(UnsafeByteOperations.unsafeWrap(data))
                                    .setOffset(offset[0]);
                            if (firstFrame[0]) {
                                firstFrame[0] = false;
                                b.setFile(entry(r));
                            }
                            offset[0] += data.remaining();
                            return b.build();
                        })
                        // Nothing to read (an empty file, a range at its end): the caller still
                        // learns what it asked for.
                        .switchIfEmpty(Mono.fromSupplier(() -> FilesGetResponse.newBuilder()
                                .setOffset(request.getOffset()).setFile(entry(r)).build()));
            });
        });
    }

    /** The optional base64url file key of a request. */
    private static Optional<byte[]> key(String base64url) {
        return base64url.isEmpty() ? Optional.empty() : Optional.of(StripeCipher.parseKey(base64url));
    }

    private static List<ByteBuffer> frames(ByteBuffer b) {
        List<ByteBuffer> out = new ArrayList<>(b.remaining() / FRAME_BYTES + 1);
        for (int pos = b.position(); pos < b.limit(); pos += FRAME_BYTES) {
            out.add(b.duplicate().position(pos).limit(Math.min(b.limit(), pos + FRAME_BYTES)).slice());
        }
        return out;
    }

    private static FileEntry entry(FileGet.Resolved r) {
        Manifest m = r.manifest();
        return FileEntry.newBuilder()
                .setFileId(r.fileId().hex())
                .setName(r.name().orElse(""))
                .setSize(m.size())
                .setK(m.k())
                .setM(m.m())
                .setShardSize(m.shardSize())
                .setOwnerId(m.ownerId().hex())
                .setEncrypted(m.encrypted())
                .build();
    }

    @Override
    public Mono<FilesStatResponse> stat(FilesStatRequest request) {
        return Mono.defer(() -> files.resolve(Wire.contentId(request.getFileId(), "file_id"), key(request.getKey())))
                .flatMap(r -> files.health(r).map(health -> {
                    FilesStatResponse.Builder b = FilesStatResponse.newBuilder()
                            .setFile(entry(r))
                            .setManifest(ManifestCodec.toProto(r.manifest()));
                    List<List<ContentId>> stripes = r.manifest().stripes();
                    for (int i = 0; i < stripes.size(); i++) {
                        FileHealth.Stripe live = health.get(i);
                        StripeShares.Builder s = StripeShares.newBuilder().setIndex(i)
                                .setLiveShards(live.liveShards()).setLossesSurvivable(live.lossesSurvivable());
                        for (int j = 0; j < stripes.get(i).size(); j++) {
                            ContentId c = stripes.get(i).get(j);
                            ShardShares.Builder sh = ShardShares.newBuilder().setIndex(j).setChunkId(c.hex());
                            r.holders().getOrDefault(c, List.of()).forEach(h -> sh.addHolders(Wire.contact(h)));
                            live.liveHolders().get(j).forEach(h -> sh.addLiveHolders(Wire.contact(h)));
                            s.addShards(sh);
                        }
                        b.addStripes(s);
                    }
                    return b.build();
                }));
    }

    @Override
    public Mono<FilesListResponse> list(FilesListRequest request) {
        return Mono.defer(() -> {
            int size = request.getPageSize() == 0 ? DEFAULT_PAGE : request.getPageSize();
            if (size < 1 || size > MAX_PAGE) {
                throw MeshException.invalidArgument("page_size must be 1.." + MAX_PAGE + ", got " + request.getPageSize());
            }
            return files.list(size, request.getPageToken());
        }).map(page -> {
            FilesListResponse.Builder b = FilesListResponse.newBuilder().setNextPageToken(page.nextToken());
            for (ManifestIndex.Entry e : page.entries()) {
                b.addFiles(FileEntry.newBuilder().setFileId(e.fileId().hex()).setName(e.name()).setSize(e.size())
                        .setK(e.k()).setM(e.m()).setShardSize(e.shardSize()).setOwnerId(e.ownerId().hex())
                        .setEncrypted(e.encrypted()).setCreatedAtUnixMs(e.createdAtUnixMs()));
            }
            return b.build();
        });
    }

    @Override
    public Mono<FilesDeleteResponse> delete(FilesDeleteRequest request) {
        Caller.Info caller = Caller.current();
        FilesService.Asker asker = new FilesService.Asker(caller.node(), caller.secured(), Caller.isLocal());
        return Mono.defer(() -> files.delete(Wire.contentId(request.getFileId(), "file_id"),
                        request.hasOwner() ? Optional.of(Wire.ownerProof(true, request.getOwner(), "owner")) : Optional.empty(),
                        asker))
                .map(d -> FilesDeleteResponse.newBuilder().setHoldersUnpinned(d.holdersUnpinned())
                        .setHoldersUnreachable(d.holdersUnreachable()).build());
    }

    @Override
    protected CallOptions getCallOptions(int methodId) {
        // Uploads buffer a few frames, not reactor-grpc's default of 512.
        return methodId == ReactorFilesGrpc.METHODID_PUT ? StreamFlow.inbound() : null;
    }

    @Override
    protected Throwable onErrorMap(Throwable throwable) {
        return StatusMapper.toStatusException(throwable);
    }
}
