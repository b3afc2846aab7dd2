package io.shardmesh.common.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.Ed25519;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A signed DHT record. The signature covers a canonical text of every field (see
 * {@code Record.signature} in {@code dht.proto}), so a record relayed by any node is checked
 * against its publisher, never against who forwarded it.
 */
public record DhtRecord(ContentId key, NodeId publisherId, byte[] publisherKey, long publishedAtUnixMs,
                        long expiresAtUnixMs, Payload payload, byte[] signature) {

    /** What a record carries, one shape per {@link RecordKind}. */
    public sealed interface Payload permits Value, Provider, Tombstone {
        RecordKind kind();
    }

    /** A small value. */
    public record Value(byte[] bytes) implements Payload {
        public Value {
            bytes = requireNonNull(bytes, "bytes").clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        public int size() {
            return bytes.length;
        }

        @Override
        public RecordKind kind() {
            return RecordKind.VALUE;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Value v && java.util.Arrays.equals(v.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(bytes);
        }
    }

    /** A holder and the chunk ids of the file it keeps. */
    public record Provider(Contact holder, List<ContentId> chunkIds) implements Payload {
        public Provider {
            requireNonNull(holder, "holder");
            chunkIds = List.copyOf(chunkIds);
        }

        @Override
        public RecordKind kind() {
            return RecordKind.PROVIDER;
        }
    }

    /** The file was deleted by its owner. */
    public record Tombstone(NodeId ownerId) implements Payload {
        public Tombstone {
            requireNonNull(ownerId, "ownerId");
        }

        @Override
        public RecordKind kind() {
            return RecordKind.TOMBSTONE;
        }
    }

    public DhtRecord {
        requireNonNull(key, "key");
        requireNonNull(publisherId, "publisherId");
        publisherKey = requireNonNull(publisherKey, "publisherKey").clone();
        requireNonNull(payload, "payload");
        signature = requireNonNull(signature, "signature").clone();
    }

    /** Makes and signs a record published now by {@code publisher}, living for {@code ttl}. */
    public static DhtRecord sign(NodeKey publisher, ContentId key, Payload payload, long nowUnixMs, Duration ttl) {
        DhtRecord unsigned = new DhtRecord(key, publisher.id(), publisher.publicKeyRaw(), nowUnixMs,
                nowUnixMs + ttl.toMillis(), payload, new byte[0]);
        return unsigned.withSignature(publisher.sign(unsigned.signedBytes()));
    }

    public RecordKind kind() {
        return payload.kind();
    }

    @Override
    public byte[] publisherKey() {
        return publisherKey.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    public DhtRecord withSignature(byte[] sig) {
        return new DhtRecord(key, publisherId, publisherKey, publishedAtUnixMs, expiresAtUnixMs, payload, sig);
    }

    /** The canonical bytes the publisher signs. */
    public byte[] signedBytes() {
        StringBuilder b = new StringBuilder(256)
                .append("shardmesh.v1.Record\n")
                .append(key.hex()).append('\n')
                .append(kind().wireName()).append('\n')
                .append(publisherId.hex()).append('\n')
                .append(publishedAtUnixMs).append('\n')
                .append(expiresAtUnixMs);
        if (payload instanceof Value v) {
            b.append('\n').append(Sha256.of(v.bytes).hex());
        } else if (payload instanceof Provider p) {
            b.append('\n').append(p.holder().id().hex())
                    .append('\n').append(p.holder().host())
                    .append('\n').append(p.holder().port());
            p.chunkIds().forEach(c -> b.append('\n').append(c.hex()));
        } else if (payload instanceof Tombstone t) {
            b.append('\n').append(t.ownerId().hex());
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the record has expired at {@code nowUnixMs}. */
    public boolean expiredAt(long nowUnixMs) {
        return expiresAtUnixMs <= nowUnixMs;
    }

    /**
     * Checks everything a receiver must before keeping or trusting the record.
     *
     * @throws MeshException PERMISSION_DENIED for a bad signature, a publisher id that is not its
     *     key's hash, or a provider record not published by its holder; INVALID_ARGUMENT for
     *     impossible times; RESOURCE_EXHAUSTED over the size limits
     */
    public void verify(long nowUnixMs, KademliaConfig config) {
        if (publisherKey.length != Ed25519.PUBLIC_KEY_BYTES || !Ed25519.nodeIdOf(publisherKey).equals(publisherId)) {
            throw MeshException.permissionDenied("record publisher_id " + publisherId + " is not the SHA-256 of its publisher_key");
        }
        if (publishedAtUnixMs < 0) {
            throw MeshException.invalidArgument("record published_at_unix_ms must not be negative, got " + publishedAtUnixMs);
        }
        if (expiresAtUnixMs <= publishedAtUnixMs) {
            throw MeshException.invalidArgument("record expires (" + expiresAtUnixMs + ") before it was published (" + publishedAtUnixMs + ")");
        }
        // Both sides are non-negative here, so the difference cannot overflow; and no record may
        // claim to live past the longest lifetime from now, whatever its published time says.
        if (expiresAtUnixMs - publishedAtUnixMs > KademliaConfig.MAX_RECORD_TTL.toMillis()
                || expiresAtUnixMs > nowUnixMs + KademliaConfig.MAX_RECORD_TTL.toMillis()) {
            throw MeshException.invalidArgument("record lifetime of " + (expiresAtUnixMs - publishedAtUnixMs) / 1000
                    + " s exceeds the maximum of " + KademliaConfig.MAX_RECORD_TTL.toSeconds() + " s");
        }
        if (publishedAtUnixMs > nowUnixMs + Duration.ofMinutes(10).toMillis()) {
            throw MeshException.invalidArgument("record claims to be published in the future (" + publishedAtUnixMs + ")");
        }
        if (expiredAt(nowUnixMs)) {
            throw MeshException.invalidArgument("record expired at " + expiresAtUnixMs);
        }
        if (payload instanceof Value v && v.size() > config.maxValueBytes()) {
            throw MeshException.resourceExhausted("value of " + v.size() + " bytes exceeds the limit of "
                    + config.maxValueBytes() + " bytes");
        }
        if (payload instanceof Tombstone t && !t.ownerId().equals(publisherId)) {
            throw MeshException.permissionDenied("tombstone for owner " + t.ownerId() + " was published by "
                    + publisherId + "; only the owner deletes its files");
        }
        if (payload instanceof Provider p) {
            if (p.chunkIds().size() > config.maxChunkIdsPerProvider()) {
                throw MeshException.resourceExhausted("provider record lists " + p.chunkIds().size()
                        + " chunk ids; at most " + config.maxChunkIdsPerProvider());
            }
            if (!p.holder().id().equals(publisherId)) {
                throw MeshException.permissionDenied("provider record for holder " + p.holder().id()
                        + " was published by " + publisherId + "; holders announce only themselves");
            }
        }
        if (!Ed25519.verify(publisherKey, signedBytes(), signature)) {
            throw MeshException.permissionDenied("record signature does not verify for publisher " + publisherId);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DhtRecord r && r.key.equals(key) && r.publisherId.equals(publisherId)
                && r.publishedAtUnixMs == publishedAtUnixMs && r.expiresAtUnixMs == expiresAtUnixMs
                && r.payload.equals(payload) && java.util.Arrays.equals(r.signature, signature);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(key, publisherId, publishedAtUnixMs, kind());
    }

    @Override
    public String toString() {
        return "DhtRecord[" + kind() + " " + key.hex().substring(0, 12) + " by " + publisherId.hex().substring(0, 12) + "]";
    }
}
