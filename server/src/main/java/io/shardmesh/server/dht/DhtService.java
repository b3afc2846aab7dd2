package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.DhtTransport;
import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.RecordCodec;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.server.meta.MetadataDb;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * The node's DHT: {@link Kademlia} over SQLite-backed records and peers, kept healthy by timers.
 * Nothing here blocks a caller: database work runs on the blocking scheduler.
 */
public final class DhtService implements AutoCloseable {

    private final Logger log;
    /** Saved peers pinged when a node restarts. */
    static final int REJOIN_PEERS = 200;
    /** Sightings are written to the database this often. */
    static final Duration PEER_FLUSH_INTERVAL = Duration.ofSeconds(30);
    /** A peer not saved before is written this soon after it is first seen. */
    static final Duration NEW_PEER_FLUSH_DELAY = Duration.ofMillis(200);
    /** Retry of an empty routing table: from 1 s, doubling, at most every 5 minutes. */
    static final Duration REJOIN_FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration REJOIN_MAX_BACKOFF = Duration.ofMinutes(5);
    /**
     * Self-lookups again this long after a join, then this long after that. Nodes that join
     * through the same seed at the same moment are unknown to it when it answers their first
     * lookups (it adds a caller only after pinging it back); without these they would find
     * each other only at the next gossip round, minutes later.
     */
    static final List<Duration> JOIN_SETTLE_LOOKUPS = List.of(Duration.ofSeconds(2), Duration.ofSeconds(10));
    /** Most UTF-8 bytes of a Kv key. */
    public static final int MAX_KV_KEY_BYTES = 256;

    private final Kademlia kademlia;
    private final NodeKey nodeKey;
    private final Supplier<Contact> self;
    private final DhtSettings settings;
    private final MetadataDb db;
    private final PeerStore peers;
    private final Clock clock;
    private final Scheduler timer;
    private final Scheduler blocking;
    private final Disposable.Composite timers = Disposables.composite();
    private final java.util.concurrent.atomic.AtomicBoolean flushQueued = new java.util.concurrent.atomic.AtomicBoolean();
    private final Disposable.Swap pendingFlush = Disposables.swap();

    public DhtService(NodeKey key, Supplier<Contact> self, DhtSettings settings, DhtTransport transport, MetadataDb db,
                      Clock clock, Scheduler timer, Scheduler blocking) {
        this.nodeKey = requireNonNull(key, "key");
        this.self = requireNonNull(self, "self");
        this.log = NodeLog.logger(DhtService.class, key.id());
        this.settings = requireNonNull(settings, "settings");
        this.db = requireNonNull(db, "db");
        this.clock = requireNonNull(clock, "clock");
        this.timer = requireNonNull(timer, "timer");
        this.blocking = requireNonNull(blocking, "blocking");
        this.peers = new PeerStore(db);
        this.kademlia = new Kademlia(key, self, settings.kademlia(), transport, new SqliteRecordStore(db), clock, timer,
                blocking, new io.shardmesh.common.dht.ContactListener() {
                    @Override
                    public void responded(Contact contact, long rttMillis) {
                        if (peers.seen(contact, clock.millis(), rttMillis)) {
                            flushSoon();
                        }
                    }

                    @Override
                    public void failed(Contact contact) {
                        peers.failed(contact, clock.millis());
                    }
                });
    }

    public Kademlia kademlia() {
        return kademlia;
    }

    /**
     * Saves the peer table shortly (once per {@link #NEW_PEER_FLUSH_DELAY}, however many peers
     * arrive meanwhile): a new peer, or a new address, must not wait for the periodic flush, or a
     * node killed before it (a crash minutes after its first start) forgets everyone it knew.
     */
    private void flushSoon() {
        if (flushQueued.compareAndSet(false, true)) {
            pendingFlush.update(Mono.delay(NEW_PEER_FLUSH_DELAY, timer)
                    .then(Mono.fromRunnable(() -> {
                        flushQueued.set(false);
                        peers.flush();
                    }).subscribeOn(blocking))
                    .subscribe(x -> { }, e -> log.warn("saving new peers failed: {}", e.getMessage())));
        }
    }

    /**
     * Joins the network in the background (through the bootstrap addresses and the peers saved
     * before a restart, retrying with backoff while the table stays empty) and starts the timers.
     */
    public void start() {
        timers.add(join()
                .doOnNext(n -> {
                    if (n >= 0) {
                        log.info("joined the DHT: {} contacts in the routing table", n);
                    }
                })
                .filter(n -> n > 0)
                .flatMapMany(n -> republishMoved().onErrorResume(e -> Mono.just(0)).thenMany(Flux.fromIterable(JOIN_SETTLE_LOOKUPS))
                        .concatMap(delay -> Mono.delay(delay, timer)
                                .then(kademlia.lookupNode(nodeKey.id()))
                                .onErrorResume(e -> Mono.empty())))
                .subscribe(x -> { }, e -> log.debug("join stopped: {}", e.getMessage())));
        every(PEER_FLUSH_INTERVAL, () -> Mono.fromRunnable(peers::flush).subscribeOn(blocking), "saving peers");
        every(settings.gossipInterval(), kademlia::gossip, "gossip");
        every(settings.maintenanceInterval(), () -> kademlia.refreshStaleBuckets()
                .then(kademlia.expireRecords())
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("dropped {} expired DHT record(s)", n);
                    }
                }), "DHT maintenance");
        every(settings.kademlia().republishInterval(), this::republish, "republish");
    }

    private void every(Duration period, Supplier<Mono<?>> work, String what) {
        timers.add(Flux.interval(period, period, timer)
                .onBackpressureDrop()
                .concatMap(t -> work.get().onErrorResume(e -> {
                    log.warn("{} failed: {}", what, e.getMessage());
                    return Mono.empty();
                }), 1)
                .subscribe(x -> { }, e -> log.error("{} timer stopped", what, e)));
    }

    private Mono<Integer> join() {
        Mono<Integer> attempt = Mono.fromCallable(() -> peers.load(REJOIN_PEERS)).subscribeOn(blocking)
                .flatMap(saved -> {
                    List<Contact> known = saved.stream().map(PeerStore.Peer::contact).toList();
                    if (settings.bootstrap().isEmpty() && known.isEmpty()) {
                        log.info("no bootstrap peers and no saved peers: waiting for other nodes to join through this one");
                        return Mono.just(-1);
                    }
                    return kademlia.join(known, settings.bootstrap());
                })
                .flatMap(n -> n == 0 ? Mono.error(MeshException.unavailable("no peer answered yet")) : Mono.just(n));
        return attempt.retryWhen(Retry.backoff(Long.MAX_VALUE, REJOIN_FIRST_BACKOFF)
                .maxBackoff(REJOIN_MAX_BACKOFF)
                .scheduler(timer)
                .doBeforeRetry(s -> log.info("no peer reachable yet; retrying in the background ({})", s.failure().getMessage())));
    }

    // ---- Kv ----

    /** The DHT key of a Kv key: SHA-256 of its UTF-8 bytes. */
    public static ContentId kvKey(String key) {
        if (key == null || key.isEmpty()) {
            throw MeshException.invalidArgument("key is required (1.." + MAX_KV_KEY_BYTES + " bytes of UTF-8)");
        }
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > MAX_KV_KEY_BYTES) {
            throw MeshException.invalidArgument("key is " + utf8.length + " bytes; at most " + MAX_KV_KEY_BYTES + " are allowed");
        }
        return Sha256.of(utf8);
    }

    /** Signs and stores a value at the k closest nodes; remembers it for republishing. */
    public Mono<Integer> kvPut(String key, byte[] value, Duration ttl) {
        return Mono.defer(() -> {
            ContentId dhtKey = kvKey(key);
            if (value.length > settings.kademlia().maxValueBytes()) {
                throw MeshException.resourceExhausted("value is " + value.length + " bytes; at most "
                        + settings.kademlia().maxValueBytes() + " are allowed");
            }
            Duration life = ttl.isZero() ? settings.kademlia().recordTtl() : ttl;
            if (life.isNegative() || life.compareTo(io.shardmesh.common.dht.DhtConfig.MAX_RECORD_TTL) > 0) {
                throw MeshException.invalidArgument("ttl must be 1 s.." + io.shardmesh.common.dht.DhtConfig.MAX_RECORD_TTL.toSeconds() + " s");
            }
            if (!ttl.isZero()) {
                // A value with its own lifetime is published once and lapses when it ends.
                return kademlia.publish(DhtRecord.sign(nodeKey, dhtKey, new DhtRecord.Value(value), clock.millis(), life));
            }
            return publishOwn(dhtKey, new DhtRecord.Value(value), life);
        });
    }

    /** The newest value stored under {@code key}, from any publisher. */
    public Mono<DhtRecord> kvGet(String key) {
        return Mono.defer(() -> {
            ContentId dhtKey = kvKey(key);
            return kademlia.lookupValue(dhtKey, Optional.of(RecordKind.VALUE), false)
                    .flatMap(r -> Mono.justOrEmpty(r.records().stream()
                            .max(Comparator.comparingLong(DhtRecord::publishedAtUnixMs))))
                    .switchIfEmpty(Mono.error(() -> MeshException.notFound("no value is stored under key '" + key + "'")));
        });
    }

    /**
     * Publishes a record of ours and saves it, so the republish timer keeps it alive.
     *
     * @return how many nodes accepted it
     */
    public Mono<Integer> publishOwn(ContentId key, DhtRecord.Payload payload, Duration ttl) {
        return Mono.defer(() -> {
            DhtRecord record = DhtRecord.sign(nodeKey, key, payload, clock.millis(), ttl);
            return Mono.fromRunnable(() -> saveOwn(record, ttl)).subscribeOn(blocking)
                    .then(kademlia.publish(record));
        });
    }

    /** Stops republishing a record of ours (it expires by itself). */
    public Mono<Void> unpublishOwn(ContentId key, RecordKind kind) {
        return Mono.<Void>fromRunnable(() -> db.inTransaction("forget published record", c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM published WHERE key = ? AND kind = ?")) {
                p.setString(1, key.hex());
                p.setInt(2, kind.ordinal());
                return p.executeUpdate();
            }
        })).subscribeOn(blocking);
    }

    private void saveOwn(DhtRecord record, Duration ttl) {
        db.inTransaction("save published record", c -> {
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT OR REPLACE INTO published(key, kind, payload, ttl_ms, published_at) VALUES (?, ?, ?, ?, ?)")) {
                p.setString(1, record.key().hex());
                p.setInt(2, record.kind().ordinal());
                p.setBytes(3, RecordCodec.toBytes(record));
                p.setLong(4, ttl.toMillis());
                p.setLong(5, record.publishedAtUnixMs());
                return p.executeUpdate();
            }
        });
    }

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

    private Mono<Integer> republish(java.util.function.Predicate<DhtRecord> which) {
        return Mono.fromCallable(() -> db.withConnection("read published records", c -> {
                    List<Object[]> out = new ArrayList<>();
                    try (ResultSet rs = c.createStatement().executeQuery("SELECT payload, ttl_ms FROM published")) {
                        while (rs.next()) {
                            out.add(new Object[] {RecordCodec.fromBytes(rs.getBytes(1)), rs.getLong(2)});
                        }
                    }
                    return out;
                })).subscribeOn(blocking)
                .flatMapMany(Flux::fromIterable)
                .filter(row -> which.test((DhtRecord) row[0]))
                .concatMap(row -> {
                    DhtRecord old = (DhtRecord) row[0];
                    DhtRecord.Payload payload = old.payload() instanceof DhtRecord.Provider p
                            ? new DhtRecord.Provider(self.get(), p.chunkIds()) : old.payload();
                    return publishOwn(old.key(), payload, Duration.ofMillis((Long) row[1]))
                            .onErrorResume(e -> Mono.just(0));
                })
                .count()
                .map(Long::intValue)
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("republished {} record(s)", n);
                    }
                });
    }

    // ---- peers ----

    /** The peer table, most recently seen first. */
    public Mono<List<PeerView>> peers() {
        return Mono.fromCallable(() -> {
            peers.flush();
            long now = clock.millis();
            List<PeerView> out = new ArrayList<>();
            for (PeerStore.Peer p : peers.load(10_000)) {
                boolean inTable = kademlia.table().entry(p.contact().id()).isPresent();
                PeerView.Status s = now - p.lastSeenUnixMs() > settings.staleAfter().toMillis() ? PeerView.Status.OFFLINE
                        : p.failures() > 0 || !inTable ? PeerView.Status.UNRESPONSIVE : PeerView.Status.ONLINE;
                out.add(new PeerView(p.contact(), s, p.firstSeenUnixMs(), p.lastSeenUnixMs(), p.lastRttMillis(), p.failures()));
            }
            return out;
        }).subscribeOn(blocking);
    }

    /** The shortest "not seen for" a cleanup accepts: anyone may ask, so no one can wipe live peers. */
    public static final Duration MIN_STALE_AGE = Duration.ofMinutes(10);

    /**
     * Forgets peers not seen for {@code olderThan} (zero: the stale threshold, at least
     * {@link #MIN_STALE_AGE}). Contacts that are in the routing table and answering are kept.
     */
    public Mono<List<Contact>> forgetStale(Duration olderThan) {
        return Mono.fromCallable(() -> {
            if (olderThan.isNegative()) {
                throw MeshException.invalidArgument("older_than_seconds is too large");
            }
            Duration age = olderThan.isZero() ? settings.staleAfter() : olderThan;
            if (age.compareTo(MIN_STALE_AGE) < 0) {
                age = MIN_STALE_AGE;
            }
            long seenBefore;
            try {
                seenBefore = Math.subtractExact(clock.millis(), age.toMillis());
            } catch (ArithmeticException e) {
                throw MeshException.invalidArgument("older_than_seconds " + olderThan.getSeconds() + " is too large");
            }
            List<Contact> gone = new ArrayList<>();
            for (Contact c : peers.forgetOlderThan(seenBefore,
                    id -> kademlia.table().entry(id).map(e -> e.failures() == 0).orElse(false))) {
                kademlia.table().remove(c.id());
                gone.add(c);
            }
            return gone;
        }).subscribeOn(blocking);
    }

    /** DHT records held here. */
    public Mono<Long> recordCount() {
        return Mono.fromCallable(() -> kademlia.records().count()).subscribeOn(blocking);
    }

    @Override
    public void close() {
        timers.dispose();
        pendingFlush.dispose();
        try {
            peers.flush();
        } catch (RuntimeException e) {
            log.warn("could not save the peer table: {}", e.getMessage());
        }
    }
}
