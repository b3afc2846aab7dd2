package io.shardmesh.common.dht;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.proto.v1.ProviderRecord;
import io.shardmesh.proto.v1.Record;
import io.shardmesh.proto.v1.TombstoneRecord;
import java.util.Optional;

/**
 * {@link DhtRecord}s and {@link Contact}s to and from their wire form ({@code shardmesh.v1}
 * messages), and records to bytes for storage: the one encoding of the DHT's own data.
 */
public final class RecordCodec {

    private RecordCodec() {
    }

    public static Record toProto(DhtRecord r) {
        Record.Builder b = Record.newBuilder()
                .setKey(r.key().hex())
                .setKind(toProto(r.kind()))
                .setPublisherId(r.publisherId().hex())
                .setPublisherKey(ByteString.copyFrom(r.publisherKey()))
                .setPublishedAtUnixMs(r.publishedAtUnixMs())
                .setExpiresAtUnixMs(r.expiresAtUnixMs())
                .setSignature(ByteString.copyFrom(r.signature()));
        if (r.payload() instanceof DhtRecord.Value v) {
            b.setValue(ByteString.copyFrom(v.bytes()));
        } else if (r.payload() instanceof DhtRecord.Provider p) {
            b.setProvider(ProviderRecord.newBuilder().setHolder(toProto(p.holder()))
                    .addAllChunkIds(ContentId.hex(p.chunkIds())));
        } else if (r.payload() instanceof DhtRecord.Tombstone t) {
            b.setTombstone(TombstoneRecord.newBuilder().setOwnerId(t.ownerId().hex()));
        }
        return b.build();
    }

    /**
     * Parses a wire record, checking its shape (not its signature: {@link DhtRecord#verify} does).
     *
     * @throws MeshException INVALID_ARGUMENT naming the bad field
     */
    public static DhtRecord fromProto(Record r, String field) {
        DhtRecord.Payload payload = switch (r.getPayloadCase()) {
            case VALUE -> new DhtRecord.Value(r.getValue().toByteArray());
            case PROVIDER -> new DhtRecord.Provider(
                    contact(r.getProvider().hasHolder(), r.getProvider().getHolder(), field + ".provider.holder"),
                    ContentId.fromHex(r.getProvider().getChunkIdsList(), field + ".provider.chunk_ids", Integer.MAX_VALUE));
            case TOMBSTONE -> new DhtRecord.Tombstone(NodeId.fromHex(r.getTombstone().getOwnerId(), field + ".tombstone.owner_id"));
            case PAYLOAD_NOT_SET -> throw MeshException.invalidArgument(field + " has no payload (value, provider or tombstone)");
        };
        RecordKind kind = fromProto(r.getKindValue(), field + ".kind")
                .orElseThrow(() -> MeshException.invalidArgument(field + ".kind is required"));
        if (kind != payload.kind()) {
            throw MeshException.invalidArgument(field + ".kind is " + kind.wireName() + " but the payload is a " + payload.kind());
        }
        return new DhtRecord(ContentId.fromHex(r.getKey(), field + ".key"), NodeId.fromHex(r.getPublisherId(), field + ".publisher_id"),
                r.getPublisherKey().toByteArray(), r.getPublishedAtUnixMs(), r.getExpiresAtUnixMs(), payload,
                r.getSignature().toByteArray());
    }

    /** A required contact field. */
    public static Contact contact(boolean present, io.shardmesh.proto.v1.Contact c, String field) {
        if (!present) {
            throw MeshException.invalidArgument(field + " is required: node_id, host and port");
        }
        try {
            return new Contact(NodeId.fromHex(c.getNodeId(), field + ".node_id"), c.getHost(), c.getPort());
        } catch (MeshException e) {
            throw MeshException.invalidArgument(field + ": " + e.getMessage());
        }
    }

    /** The wire form of a contact. */
    public static io.shardmesh.proto.v1.Contact toProto(Contact c) {
        return io.shardmesh.proto.v1.Contact.newBuilder()
                .setNodeId(c.id().hex()).setHost(c.host()).setPort(c.port()).build();
    }

    public static io.shardmesh.proto.v1.RecordKind toProto(RecordKind k) {
        return switch (k) {
            case VALUE -> io.shardmesh.proto.v1.RecordKind.RECORD_KIND_VALUE;
            case PROVIDER -> io.shardmesh.proto.v1.RecordKind.RECORD_KIND_PROVIDER;
            case TOMBSTONE -> io.shardmesh.proto.v1.RecordKind.RECORD_KIND_TOMBSTONE;
        };
    }

    /** Empty for UNSPECIFIED; INVALID_ARGUMENT for values this version does not know. */
    public static Optional<RecordKind> fromProto(int wireValue, String field) {
        io.shardmesh.proto.v1.RecordKind k = io.shardmesh.proto.v1.RecordKind.forNumber(wireValue);
        if (k == null) {
            throw MeshException.invalidArgument(field + " has an unknown value " + wireValue
                    + " (expected RECORD_KIND_VALUE, RECORD_KIND_PROVIDER or RECORD_KIND_TOMBSTONE)");
        }
        return switch (k) {
            case RECORD_KIND_VALUE -> Optional.of(RecordKind.VALUE);
            case RECORD_KIND_PROVIDER -> Optional.of(RecordKind.PROVIDER);
            case RECORD_KIND_TOMBSTONE -> Optional.of(RecordKind.TOMBSTONE);
            default -> Optional.empty();
        };
    }

    /** Bytes for storage. */
    public static byte[] toBytes(DhtRecord r) {
        return toProto(r).toByteArray();
    }

    /** Back from storage. */
    public static DhtRecord fromBytes(byte[] bytes) {
        try {
            return fromProto(Record.parseFrom(bytes), "stored record");
        } catch (InvalidProtocolBufferException e) {
            throw MeshException.internal("a stored DHT record does not parse: " + e.getMessage(), e);
        }
    }
}
