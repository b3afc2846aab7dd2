package io.shardmesh.server.testing;

import com.google.protobuf.ByteString;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.proto.v1.PutChunkHeader;
import io.shardmesh.proto.v1.PutChunkRequest;
import io.shardmesh.proto.v1.Signature;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Random;

/** Test data and request builders for chunk tests. */
public final class Chunks {

    private Chunks() {
    }

    public static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static ContentId idOf(byte[] bytes) {
        return Sha256.of(bytes);
    }

    /** Header then frames of at most {@code frame} bytes. */
    public static List<PutChunkRequest> upload(byte[] bytes, int frame) {
        return upload(idOf(bytes).hex(), bytes.length, bytes, frame);
    }

    public static List<PutChunkRequest> upload(String id, long declaredSize, byte[] bytes, int frame) {
        List<PutChunkRequest> out = new ArrayList<>();
        out.add(PutChunkRequest.newBuilder()
                .setHeader(PutChunkHeader.newBuilder().setChunkId(id).setSize(declaredSize)).build());
        for (int off = 0; off < bytes.length; off += frame) {
            int n = Math.min(frame, bytes.length - off);
            out.add(PutChunkRequest.newBuilder().setData(ByteString.copyFrom(bytes, off, n)).build());
        }
        return out;
    }

    public static Signature pinProof(NodeKey owner, ContentId file, Collection<ContentId> chunks, long now) {
        return Wire.signature(owner.prove(SignedAction.pin(file, chunks), now));
    }

    public static Signature unpinProof(NodeKey owner, ContentId file, Collection<ContentId> chunks, long now) {
        return Wire.signature(owner.prove(SignedAction.unpin(file, chunks), now));
    }
}
