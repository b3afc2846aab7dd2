package io.shardmesh.common.grpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.UnsafeByteOperations;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.ContactListener;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.common.transfer.FileDirectory;
import io.shardmesh.common.transfer.Mesh;
import io.shardmesh.proto.v1.AbortUploadRequest;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.HasChunksRequest;
import io.shardmesh.proto.v1.PinRequest;
import io.shardmesh.proto.v1.PutChunkHeader;
import io.shardmesh.proto.v1.PutChunkRequest;
import io.shardmesh.proto.v1.ReactorChunksGrpc;
import io.shardmesh.proto.v1.UnpinRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link Mesh} over gRPC: chunk calls to peers through shared channels, each with a deadline and
 * checked to be answered by the node meant ({@link PeerIdentity}); a contact whose address now
 * answers as another node is reported to the {@link ContactListener}.
 */
public final class GrpcMesh implements Mesh {

    /** Deadline of a chunk call: a base plus time per MiB (a 1 MiB shard gets 20 s). */
    static final long BASE_DEADLINE_MS = 15_000;
    static final long PER_MIB_DEADLINE_MS = 5_000;
    /** Deadline of a liveness probe: short, since a put waits for the slowest answer. */
    static final Duration PROBE_DEADLINE = Duration.ofSeconds(3);
    /** Probes in flight at once. */
    static final int PROBE_FAN_OUT = 16;

    private final NodeKey owner;
    private final Supplier<List<Contact>> candidates;
    private final PeerChannels channels;
    private final FileDirectory directory;
    private final ContactListener contacts;
    private final Clock clock;

    /**
     * @param directory where files are announced (the DHT, as a node or a client sees it)
     * @param contacts told about contacts that failed or whose address answers as another node
     */
    public GrpcMesh(NodeKey owner, Supplier<List<Contact>> candidates, PeerChannels channels, FileDirectory directory,
                    ContactListener contacts, Clock clock) {
        this.owner = requireNonNull(owner, "owner");
        this.candidates = requireNonNull(candidates, "candidates");
        this.channels = requireNonNull(channels, "channels");
        this.directory = requireNonNull(directory, "directory");
        this.contacts = requireNonNull(contacts, "contacts");
        this.clock = requireNonNull(clock, "clock");
    }

    private ReactorChunksGrpc.ReactorChunksStub chunks(Contact c, long bytes) {
        return chunks(c, Duration.ofMillis(BASE_DEADLINE_MS + PER_MIB_DEADLINE_MS * (bytes >> 20)));
    }

    private ReactorChunksGrpc.ReactorChunksStub chunks(Contact c, Duration deadline) {
        return PeerIdentity.expecting(StreamFlow.chunkStreams(ReactorChunksGrpc.newReactorStub(channels.get(c))), c)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A stub for a liveness question: it waits, within its short deadline, for a channel that is
     * still connecting (a peer restarted a moment ago) instead of failing at once.
     */
    private ReactorChunksGrpc.ReactorChunksStub probing(Contact c) {
        return chunks(c, PROBE_DEADLINE).withWaitForReady();
    }

    /** Maps a failed call to {@code to} and tells the contact listener when the address holds another node. */
    private MeshException failed(Throwable e, Contact to, String what) {
        PeerIdentity.wrongPeer(e).ifPresent(w -> contacts.replaced(to, w.answered()));
        return StatusMapper.fromThrowable(e, what);
    }

    @Override
    public NodeKey owner() {
        return owner;
    }

    @Override
    public List<Contact> candidates() {
        return candidates.get();
    }

    @Override
    public Mono<List<Contact>> probe(List<Contact> nodes) {
        // An empty HasChunks is the cheapest call a node answers: it proves the node is up and is who we think.
        return Flux.fromIterable(nodes)
                .flatMapSequential(c -> Detached.call(probing(c).hasChunks(HasChunksRequest.getDefaultInstance()))
                        .thenReturn(c)
                        .onErrorResume(e -> {
                            failed(e, c, "probe of " + c);
                            return Mono.empty();
                        }), PROBE_FAN_OUT)
                .collectList();
    }

    @Override
    public Mono<Void> putChunk(Contact to, ContentId id, byte[] bytes, String session) {
        return Mono.defer(() -> {
            Flux<PutChunkRequest> frames = Flux.concat(
                    Flux.just(PutChunkRequest.newBuilder().setHeader(PutChunkHeader.newBuilder()
                            .setChunkId(id.hex()).setSize(bytes.length).setUploadSession(session)).build()),
                    Flux.range(0, Math.max(0, (bytes.length + ProtocolLimits.CHUNK_FRAME_BYTES - 1) / ProtocolLimits.CHUNK_FRAME_BYTES)).map(i -> {
                        int off = i * ProtocolLimits.CHUNK_FRAME_BYTES;
                        return PutChunkRequest.newBuilder()
                                .setData(UnsafeByteOperations.unsafeWrap(bytes, off, Math.min(ProtocolLimits.CHUNK_FRAME_BYTES, bytes.length - off)))
                                .build();
                    }));
            return Detached.call(chunks(to, bytes.length).putChunk(frames)).then();
        }).onErrorMap(e -> failed(e, to, "PutChunk to " + to));
    }

    @Override
    public Mono<Void> abortUpload(Contact at, String session) {
        return Mono.defer(() -> Detached.call(chunks(at, 0)
                        .abortUpload(AbortUploadRequest.newBuilder().setUploadSession(session).build())).then())
                .onErrorMap(e -> failed(e, at, "AbortUpload at " + at));
    }

    @Override
    public Mono<byte[]> getChunk(Contact from, ContentId id) {
        return Mono.defer(() -> {
            byte[][] buf = new byte[1][];
            int[] filled = new int[1];
            // Frames are checked and copied as they arrive: a peer that streams forever, or
            // past the size it declared, is cut off at once instead of being buffered.
            Mono<byte[]> assembled = chunks(from, 4L << 20)
                    .getChunk(GetChunkRequest.newBuilder().setChunkId(id.hex()).build())
                    .doOnNext(f -> {
                        if (buf[0] == null) {
                            if (f.getChunkSize() < 0 || f.getChunkSize() > ProtocolLimits.MAX_CHUNK_BYTES) {
                                throw MeshException.dataLoss(from + " claims chunk " + id + " has "
                                        + Long.toUnsignedString(f.getChunkSize()) + " bytes; at most "
                                        + ProtocolLimits.MAX_CHUNK_BYTES + " are accepted");
                            }
                            buf[0] = new byte[(int) f.getChunkSize()];
                        }
                        if (f.getOffset() != filled[0] || f.getData().size() > buf[0].length - filled[0]) {
                            throw MeshException.dataLoss(from + " sent chunk " + id + " frames out of order or past its size");
                        }
                        f.getData().copyTo(buf[0], filled[0]);
                        filled[0] += f.getData().size();
                    })
                    .then(Mono.fromCallable(() -> {
                        if (buf[0] == null || filled[0] != buf[0].length) {
                            throw MeshException.dataLoss(from + " ended chunk " + id + " after " + filled[0] + " bytes");
                        }
                        return buf[0];
                    }));
            return Detached.call(assembled);
        }).onErrorMap(e -> failed(e, from, "GetChunk " + id.hex().substring(0, 12) + " from " + from));
    }

    @Override
    public Mono<List<ContentId>> has(Contact holder, List<ContentId> chunkIds) {
        return Mono.defer(() -> Detached.call(probing(holder)
                        .hasChunks(HasChunksRequest.newBuilder().addAllChunkIds(Wire.hex(chunkIds)).build())))
                .map(r -> Wire.contentIds(r.getHeldChunkIdsList(), "held_chunk_ids", ProtocolLimits.MAX_BATCH_IDS))
                .onErrorMap(e -> failed(e, holder, "HasChunks at " + holder));
    }

    @Override
    public Mono<List<ContentId>> pin(Contact holder, ContentId fileId, List<ContentId> chunkIds) {
        return pin(holder, fileId, chunkIds, false);
    }

    @Override
    public Mono<List<ContentId>> repairPin(Contact holder, ContentId fileId, List<ContentId> chunkIds) {
        return pin(holder, fileId, chunkIds, true);
    }

    private Mono<List<ContentId>> pin(Contact holder, ContentId fileId, List<ContentId> chunkIds, boolean repair) {
        return Mono.defer(() -> {
            var proof = owner.prove(repair ? SignedAction.repairPin(fileId, chunkIds) : SignedAction.pin(fileId, chunkIds),
                    clock.millis());
            return Detached.call(chunks(holder, 0).pin(PinRequest.newBuilder().setFileId(fileId.hex())
                            .addAllChunkIds(Wire.hex(chunkIds)).setOwner(Wire.signature(proof)).setRepair(repair).build()))
                    .map(r -> Wire.contentIds(r.getMissingChunkIdsList(), "missing_chunk_ids", Integer.MAX_VALUE));
        }).onErrorMap(e -> failed(e, holder, (repair ? "RepairPin at " : "Pin at ") + holder));
    }

    @Override
    public Mono<Integer> unpin(Contact holder, ContentId fileId) {
        return Mono.defer(() -> {
            var proof = owner.prove(SignedAction.unpin(fileId, List.of()), clock.millis());
            return Detached.call(chunks(holder, 0).unpin(UnpinRequest.newBuilder()
                    .setFileId(fileId.hex()).setOwner(Wire.signature(proof)).build()));
        }).map(r -> r.getUnpinnedCount()).onErrorMap(e -> failed(e, holder, "Unpin at " + holder));
    }

    @Override
    public Mono<List<DhtRecord>> records(ContentId fileId) {
        return directory.records(fileId);
    }

    @Override
    public Mono<List<DhtRecord>> recentRecords(ContentId fileId) {
        return directory.recentRecords(fileId);
    }

    @Override
    public Mono<Integer> publish(ContentId key, DhtRecord.Payload payload) {
        return directory.publish(key, payload);
    }

    @Override
    public Clock clock() {
        return clock;
    }
}
