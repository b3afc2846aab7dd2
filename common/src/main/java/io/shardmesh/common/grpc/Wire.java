package io.shardmesh.common.grpc;

import com.google.protobuf.ByteString;
import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.RecordCodec;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.proto.v1.FilesPutResponse;
import io.shardmesh.proto.v1.Signature;
import java.util.List;

/**
 * Conversions between wire messages and the mesh's own records, validating as they go: every
 * error names the field, so a grpcurl user sees which part of the request was wrong.
 */
public final class Wire {

    private Wire() {
    }

    /** A required content id field. */
    public static ContentId contentId(String hex, String field) {
        return ContentId.fromHex(hex, field);
    }

    /** A required node id field. */
    public static NodeId nodeId(String hex, String field) {
        return NodeId.fromHex(hex, field);
    }

    /** A repeated content id field, with at most {@code max} entries. */
    public static List<ContentId> contentIds(List<String> hexes, String field, int max) {
        return ContentId.fromHex(hexes, field, max);
    }

    /** Hex strings of ids. */
    public static List<String> hex(List<ContentId> ids) {
        return ContentId.hex(ids);
    }

    /** A required owner signature. */
    public static OwnerProof ownerProof(boolean present, Signature s, String field) {
        if (!present) {
            throw MeshException.invalidArgument(field + " is required: the owner's Signature (public_key, signed_at_unix_ms, signature)");
        }
        return new OwnerProof(s.getPublicKey().toByteArray(), s.getSignedAtUnixMs(), s.getSignature().toByteArray());
    }

    /** The wire form of an owner proof. */
    public static Signature signature(OwnerProof proof) {
        return Signature.newBuilder()
                .setPublicKey(ByteString.copyFrom(proof.publicKey()))
                .setSignedAtUnixMs(proof.signedAtUnixMs())
                .setSignature(ByteString.copyFrom(proof.signature()))
                .build();
    }

    /** A required contact field. */
    public static Contact contact(boolean present, io.shardmesh.proto.v1.Contact c, String field) {
        return RecordCodec.contact(present, c, field);
    }

    /** The wire form of a contact. */
    public static io.shardmesh.proto.v1.Contact contact(Contact c) {
        return RecordCodec.toProto(c);
    }

    /** What a put achieved, as {@code Files.Put} and {@code shardmesh put --json} report it. */
    public static FilesPutResponse putResponse(FilePut.Result r) {
        FilesPutResponse.Builder b = FilesPutResponse.newBuilder()
                .setFileId(r.fileId().hex())
                .setSize(r.manifest().size())
                .addAllWarnings(r.warnings())
                .setLossesSurvived(Math.max(0, r.lossesSurvived()))
                .setHolders(r.distinctHolders());
        r.manifestHolders().forEach(c -> b.addManifestHolders(contact(c)));
        r.key().ifPresent(k -> b.setCapability(StripeCipher.capability(r.fileId(), k)));
        return b.build();
    }
}
