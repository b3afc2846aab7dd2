package io.shardmesh.common.manifest;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.proto.v1.Encryption;
import io.shardmesh.proto.v1.EncryptionAlgorithm;
import io.shardmesh.proto.v1.SealedMetadata;
import io.shardmesh.proto.v1.Stripe;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Manifests to and from their stored form (the {@code shardmesh.v1.Manifest} message).
 * {@link #toBytes} is the deterministic serialization whose SHA-256 is the file id;
 * {@link #parse} checks bytes fetched from any peer against the id before anything in them is
 * trusted. The metadata an encrypted manifest seals (name and content hash) is encoded here too.
 */
public final class ManifestCodec {

    private ManifestCodec() {
    }

    public static io.shardmesh.proto.v1.Manifest toProto(Manifest m) {
        io.shardmesh.proto.v1.Manifest.Builder b = io.shardmesh.proto.v1.Manifest.newBuilder()
                .setFormatVersion(Manifest.FORMAT_VERSION)
                .setSize(m.size())
                .setName(m.name())
                .setK(m.k())
                .setM(m.m())
                .setShardSize(m.shardSize())
                .setOwnerId(m.ownerId().hex());
        m.contentSha256().ifPresent(h -> b.setContentSha256(h.hex()));
        for (List<ContentId> stripe : m.stripes()) {
            b.addStripes(Stripe.newBuilder().addAllChunkIds(ContentId.hex(stripe)));
        }
        m.encryption().ifPresent(e -> b.setEncryption(Encryption.newBuilder()
                .setAlgorithm(EncryptionAlgorithm.ENCRYPTION_ALGORITHM_AES_256_GCM)
                .setSealedMetadata(ByteString.copyFrom(e.sealedMetadata()))
                .setMetadataNonce(ByteString.copyFrom(e.metadataNonce()))));
        return b.build();
    }

    /** The deterministic bytes: fields in number order, no unknown fields. */
    public static byte[] toBytes(Manifest m) {
        io.shardmesh.proto.v1.Manifest p = toProto(m);
        byte[] out = new byte[p.getSerializedSize()];
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        cos.useDeterministicSerialization();
        try {
            p.writeTo(cos);
            cos.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException("serializing a manifest into an array cannot fail", e);
        }
        return out;
    }

    /** The file id of a manifest. */
    public static ContentId fileId(Manifest m) {
        return Sha256.of(toBytes(m));
    }

    /**
     * Parses manifest bytes fetched for {@code fileId}.
     *
     * @throws MeshException DATA_LOSS when the bytes do not hash to the id or do not parse as a
     *     manifest this version understands
     */
    public static Manifest parse(ContentId fileId, byte[] bytes) {
        if (!Sha256.of(bytes).equals(fileId)) {
            throw MeshException.dataLoss("manifest bytes do not hash to file id " + fileId);
        }
        try {
            io.shardmesh.proto.v1.Manifest p = io.shardmesh.proto.v1.Manifest.parseFrom(bytes);
            if (p.getFormatVersion() != Manifest.FORMAT_VERSION) {
                throw MeshException.dataLoss("manifest " + fileId + " has format version " + p.getFormatVersion()
                        + "; this version reads " + Manifest.FORMAT_VERSION);
            }
            List<List<ContentId>> stripes = new ArrayList<>(p.getStripesCount());
            for (int i = 0; i < p.getStripesCount(); i++) {
                stripes.add(ContentId.fromHex(p.getStripes(i).getChunkIdsList(), "stripes[" + i + "]", Integer.MAX_VALUE));
            }
            Optional<Manifest.Encryption> enc = p.hasEncryption()
                    ? Optional.of(new Manifest.Encryption(p.getEncryption().getSealedMetadata().toByteArray(),
                            p.getEncryption().getMetadataNonce().toByteArray()))
                    : Optional.empty();
            Optional<ContentId> content = p.getContentSha256().isEmpty() ? Optional.empty()
                    : Optional.of(ContentId.fromHex(p.getContentSha256(), "content_sha256"));
            return new Manifest(p.getSize(), content, p.getName(), p.getK(), p.getM(), p.getShardSize(), stripes, enc,
                    NodeId.fromHex(p.getOwnerId(), "owner_id"));
        } catch (InvalidProtocolBufferException e) {
            throw MeshException.dataLoss("manifest " + fileId + " does not parse: " + e.getMessage());
        } catch (MeshException e) {
            if (e.kind() == io.shardmesh.common.error.ErrorKind.DATA_LOSS) {
                throw e;
            }
            // The bytes match the id, so someone signed off on a broken manifest: unreadable, not our input.
            throw MeshException.dataLoss("manifest " + fileId + " is not valid: " + e.getMessage());
        }
    }

    /** What an encrypted manifest seals under the file key: the name and the plaintext's SHA-256. */
    public record Metadata(String name, ContentId contentSha256) {
    }

    /** The bytes of the sealed metadata, before sealing. */
    public static byte[] metadataBytes(Metadata metadata) {
        return SealedMetadata.newBuilder().setName(metadata.name()).setContentSha256(metadata.contentSha256().hex())
                .build().toByteArray();
    }

    /**
     * The sealed metadata of {@code fileId}, once opened.
     *
     * @throws MeshException DATA_LOSS when the opened bytes are not sealed metadata
     */
    public static Metadata parseMetadata(ContentId fileId, byte[] bytes) {
        try {
            SealedMetadata sm = SealedMetadata.parseFrom(bytes);
            return new Metadata(sm.getName(), ContentId.fromHex(sm.getContentSha256(), "content_sha256"));
        } catch (InvalidProtocolBufferException | MeshException e) {
            throw MeshException.dataLoss("the sealed metadata of " + fileId + " is damaged");
        }
    }
}
