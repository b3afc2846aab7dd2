package io.shardmesh.it.harness;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.HasChunksRequest;
import io.shardmesh.proto.v1.PutChunkHeader;
import io.shardmesh.proto.v1.PutChunkRequest;
import io.shardmesh.proto.v1.PutChunkResponse;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Blocking {@code shardmesh.v1.Chunks} calls for tests, each with a deadline. */
public final class ChunkCalls {

    /** The node's HasChunks batch limit (ChunkConfig.DEFAULT_MAX_BATCH). */
    static final int MAX_BATCH = 4096;

    private ChunkCalls() {
    }

    /**
     * PutChunk of {@code bytes} in frames of {@code frameBytes}; with {@code owner}, the chunk is
     * pinned under {@code fileId} in the same call. Throws the call's StatusRuntimeException.
     */
    public static PutChunkResponse put(ManagedChannel channel, byte[] bytes, int frameBytes, NodeKey owner, String fileId,
                                       Duration deadline) throws InterruptedException {
        String id = TestFiles.sha256(bytes);
        PutChunkHeader.Builder header = PutChunkHeader.newBuilder().setChunkId(id).setSize(bytes.length);
        if (owner != null) {
            ContentId file = ContentId.fromHex(fileId);
            header.setFileId(fileId).setOwner(Wire.signature(owner.prove(
                    SignedAction.pin(file, List.of(ContentId.fromHex(id))), System.currentTimeMillis())));
        }
        CompletableFuture<PutChunkResponse> done = new CompletableFuture<>();
        StreamObserver<PutChunkRequest> up = ChunksGrpc.newStub(channel)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .putChunk(new StreamObserver<>() {
                    @Override
                    public void onNext(PutChunkResponse r) {
                        done.complete(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.completeExceptionally(new IllegalStateException("PutChunk ended without a response"));
                    }
                });
        up.onNext(PutChunkRequest.newBuilder().setHeader(header).build());
        for (int off = 0; off < bytes.length; off += frameBytes) {
            up.onNext(PutChunkRequest.newBuilder()
                    .setData(ByteString.copyFrom(bytes, off, Math.min(frameBytes, bytes.length - off))).build());
        }
        up.onCompleted();
        try {
            return done.get(deadline.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw s;
            }
            throw new IllegalStateException("PutChunk failed", e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("PutChunk did not end within its deadline", e);
        }
    }

    /** GetChunk, the whole chunk. */
    public static byte[] get(ManagedChannel channel, String chunkId, Duration deadline) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChunksGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .getChunk(GetChunkRequest.newBuilder().setChunkId(chunkId).build())
                .forEachRemaining(r -> out.writeBytes(r.getData().toByteArray()));
        return out.toByteArray();
    }

    /** Which of {@code ids} the node holds (HasChunks, in batches the node accepts). */
    public static Set<String> held(ManagedChannel channel, Collection<String> ids, Duration deadline) {
        Set<String> held = new HashSet<>();
        List<String> all = new ArrayList<>(ids);
        for (int from = 0; from < all.size(); from += MAX_BATCH) {
            held.addAll(ChunksGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .hasChunks(HasChunksRequest.newBuilder().addAllChunkIds(all.subList(from, Math.min(all.size(), from + MAX_BATCH))).build())
                    .getHeldChunkIdsList());
        }
        return held;
    }
}
