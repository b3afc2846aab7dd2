package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.id.ContentId;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The records this node publishes under its own key: signed, stored at the k closest nodes,
 * remembered in the database and republished with fresh times before they expire.
 */
public final class Publisher {

    private final Logger log;
    private final NodeKey key;
    private final Supplier<Contact> self;
    private final Kademlia kademlia;
    private final PublishedRecords published;
    private final Clock clock;
    private final Scheduler blocking;

    Publisher(NodeKey key, Supplier<Contact> self, Kademlia kademlia, PublishedRecords published, Clock clock,
              Scheduler blocking, Logger log) {
        this.key = requireNonNull(key, "key");
        this.self = requireNonNull(self, "self");
        this.kademlia = requireNonNull(kademlia, "kademlia");
        this.published = requireNonNull(published, "published");
        this.clock = requireNonNull(clock, "clock");
        this.blocking = requireNonNull(blocking, "blocking");
        this.log = requireNonNull(log, "log");
    }

    /**
     * Publishes a record of ours and saves it, so the republish timer keeps it alive.
     *
     * @return how many nodes accepted it
     */
    public Mono<Integer> publishOwn(ContentId recordKey, DhtRecord.Payload payload, Duration ttl) {
        return Mono.defer(() -> {
            DhtRecord record = DhtRecord.sign(key, recordKey, payload, nextPublishedAt(), ttl);
            return Mono.fromRunnable(() -> published.save(record, ttl)).subscribeOn(blocking)
                    .then(kademlia.publish(record));
        });
    }

    /** Publishes a record once, not remembered: it lapses when its lifetime ends. */
    public Mono<Integer> publishOnce(ContentId recordKey, DhtRecord.Payload payload, Duration ttl) {
        return Mono.defer(() -> kademlia.publish(DhtRecord.sign(key, recordKey, payload, nextPublishedAt(), ttl)));
    }

    /**
     * The time a new record of ours carries: the clock, but always later than the one before.
     * Stores keep the newer of two records by the same publisher and a tie keeps the old one, so
     * two announcements in one millisecond (a repair pin right after an upload pin) must not
     * share a time, or the second would be lost.
     */
    private long nextPublishedAt() {
        long now = clock.millis();
        return lastPublishedAt.updateAndGet(prev -> Math.max(prev + 1, now));
    }

    /** Stops republishing a record of ours (it expires by itself). */
    public Mono<Void> unpublishOwn(ContentId recordKey, RecordKind kind) {
        return Mono.<Void>fromRunnable(() -> published.forget(recordKey, kind)).subscribeOn(blocking);
    }

    private final java.util.concurrent.atomic.AtomicLong lastPublishedAt = new java.util.concurrent.atomic.AtomicLong();

    /** Re-signs and re-publishes every record of ours, with fresh times. */
    public Mono<Integer> republish() {
        return republish(record -> true);
    }

    /**
     * Republishes, at once, the provider records that name an address this node no longer has
     * (it restarted on another port or host): readers go to the address a record names, so
     * until then the node's shards could not be found. The records are re-signed with the
     * current address.
     */
    Mono<Integer> republishMoved() {
        return republish(record -> record.payload() instanceof DhtRecord.Provider p && !p.holder().equals(self.get()));
    }

    private Mono<Integer> republish(Predicate<DhtRecord> which) {
        return Mono.fromCallable(published::all).subscribeOn(blocking)
                .flatMapMany(Flux::fromIterable)
                .filter(p -> which.test(p.record()))
                .concatMap(p -> {
                    DhtRecord old = p.record();
                    DhtRecord.Payload payload = old.payload() instanceof DhtRecord.Provider provider
                            ? new DhtRecord.Provider(self.get(), provider.chunkIds()) : old.payload();
                    return publishOwn(old.key(), payload, p.ttl()).onErrorResume(e -> Mono.just(0));
                })
                .count()
                .map(Long::intValue)
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("republished {} record(s)", n);
                    }
                });
    }
}
