package io.shardmesh.common.grpc;

import com.google.protobuf.ByteString;
import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.proto.v1.Signature;
import java.util.ArrayList;
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
        if (hex.isEmpty()) {
            throw MeshException.invalidArgument(field + " is required: 64 lowercase hex characters");
        }
        return ContentId.fromHex(hex, field);
    }

    /** A required node id field. */
    public static NodeId nodeId(String hex, String field) {
        if (hex.isEmpty()) {
            throw MeshException.invalidArgument(field + " is required: 64 lowercase hex characters");
        }
        return NodeId.fromHex(hex, field);
    }

    /** A repeated content id field, with at most {@code max} entries. */
    public static List<ContentId> contentIds(List<String> hexes, String field, int max) {
        if (hexes.size() > max) {
            throw MeshException.invalidArgument(field + " has " + hexes.size() + " entries; at most " + max + " are allowed");
        }
        List<ContentId> out = new ArrayList<>(hexes.size());
        for (int i = 0; i < hexes.size(); i++) {
            out.add(ContentId.fromHex(hexes.get(i), field + "[" + i + "]"));
        }
        return out;
    }

    /** Hex strings of ids. */
    public static List<String> hex(List<ContentId> ids) {
        return ids.stream().map(ContentId::hex).toList();
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
        if (!present) {
            throw MeshException.invalidArgument(field + " is required: node_id, host and port");
        }
        try {
            return new Contact(nodeId(c.getNodeId(), field + ".node_id"), c.getHost(), c.getPort());
        } catch (MeshException e) {
            throw MeshException.invalidArgument(field + ": " + e.getMessage());
        }
    }

    /** The wire form of a contact. */
    public static io.shardmesh.proto.v1.Contact contact(Contact c) {
        return io.shardmesh.proto.v1.Contact.newBuilder()
                .setNodeId(c.id().hex()).setHost(c.host()).setPort(c.port()).build();
    }
}
