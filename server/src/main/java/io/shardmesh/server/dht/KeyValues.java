package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.protocol.ProtocolLimits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * {@code Kv}: small values stored at the k nodes closest to the SHA-256 of their key, signed by
 * this node; the callee does the lookups, so a client needs no DHT of its own. Newest
 * {@code published_at} wins across publishers.
 */
public final class KeyValues {

    private final Kademlia kademlia;
    private final Publisher publisher;
    private final KademliaConfig config;

    KeyValues(Kademlia kademlia, Publisher publisher) {
        this.kademlia = requireNonNull(kademlia, "kademlia");
        this.publisher = requireNonNull(publisher, "publisher");
        this.config = kademlia.config();
    }

    /** The DHT key of a Kv key: SHA-256 of its UTF-8 bytes. */
    public static ContentId dhtKey(String key) {
        if (key == null || key.isEmpty()) {
            throw MeshException.invalidArgument("key is required (1.." + ProtocolLimits.MAX_KV_KEY_BYTES + " bytes of UTF-8)");
        }
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > ProtocolLimits.MAX_KV_KEY_BYTES) {
            throw MeshException.invalidArgument("key is " + utf8.length + " bytes; at most "
                    + ProtocolLimits.MAX_KV_KEY_BYTES + " are allowed");
        }
        return Sha256.of(utf8);
    }

    /**
     * Signs and stores a value at the k closest nodes. Without a {@code ttl} (zero) it lives for
     * the record lifetime and is republished; with one it is published once and lapses.
     *
     * @return how many nodes accepted it
     */
    public Mono<Integer> put(String key, byte[] value, Duration ttl) {
        return Mono.defer(() -> {
            ContentId dhtKey = dhtKey(key);
            if (value.length > config.maxValueBytes()) {
                throw MeshException.resourceExhausted("value is " + value.length + " bytes; at most "
                        + config.maxValueBytes() + " are allowed");
            }
            Duration life = ttl.isZero() ? config.recordTtl() : ttl;
            if (life.isNegative() || life.compareTo(KademliaConfig.MAX_RECORD_TTL) > 0) {
                throw MeshException.invalidArgument("ttl must be 1 s.." + KademliaConfig.MAX_RECORD_TTL.toSeconds() + " s");
            }
            return ttl.isZero() ? publisher.publishOwn(dhtKey, new DhtRecord.Value(value), life)
                    : publisher.publishOnce(dhtKey, new DhtRecord.Value(value), life);
        });
    }

    /**
     * The newest value stored under {@code key}, from any publisher, as a recent lookup found it:
     * a value put through this node is seen at once, one put elsewhere at most the lookup cache
     * age late ({@link Kademlia#recentValue}).
     */
    public Mono<DhtRecord> get(String key) {
        return Mono.defer(() -> {
            ContentId dhtKey = dhtKey(key);
            return kademlia.recentValue(dhtKey, Optional.of(RecordKind.VALUE))
                    .flatMap(records -> Mono.justOrEmpty(records.stream()
                            .max(Comparator.comparingLong(DhtRecord::publishedAtUnixMs))))
                    .switchIfEmpty(Mono.error(() -> MeshException.notFound("no value is stored under key '" + key + "'")));
        });
    }
}
