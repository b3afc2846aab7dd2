package io.shardmesh.common.dht;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.protocol.ProtocolLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * One node's Kademlia: its routing table and what it asks of others (join, iterative lookups,
 * publish, bucket refresh, gossip). The answers it gives are its {@link #responder()}'s; who may
 * enter the table is decided by {@link ContactVetting}. Transport-free: the same object runs
 * behind gRPC and in a simulated in-memory network.
 */
public final class Kademlia {

    private final Logger log;
    /** Peers sent and accepted per gossip exchange. */
    private static final int GOSSIP_SAMPLE = ProtocolLimits.MAX_GOSSIP_PEERS;
    /** Stores (and pings) in flight at once during a publish or a join. */
    private static final int FAN_OUT = 8;
    /** How long a contact that failed is skipped by lookups. */
    public static final Duration SUSPECT_FOR = Duration.ofMinutes(10);

    private final NodeKey key;
    private final KademliaConfig config;
    private final DhtTransport transport;
    private final RecordStore records;
    private final Clock clock;
    private final Scheduler timer;
    private final Scheduler blocking;
    private final RoutingTable table;
    private final ContactVetting vetting;
    private final KademliaResponder responder;
    /** Recent value lookups by key and kind (null: the cache is off); see {@link #recentValue}. */
    private final AsyncCache<RecentKey, List<DhtRecord>> recent;
    private final ContactListener lookupListener = new ContactListener() {
        @Override
        public void responded(Contact contact, long rttMillis) {
            vetting.heardFrom(contact, rttMillis);
        }

        @Override
        public void failed(Contact contact) {
            vetting.noAnswer(contact);
        }

        @Override
        public void replaced(Contact stale, Optional<NodeId> answeredAs) {
            vetting.replaced(stale, answeredAs);
        }
    };

    public Kademlia(NodeKey key, Supplier<Contact> self, KademliaConfig config, DhtTransport transport, RecordStore records,
                    Clock clock, Scheduler timer, Scheduler blocking, ContactListener events) {
        this.key = requireNonNull(key, "key");
        this.log = NodeLog.logger(Kademlia.class, key.id());
        this.config = requireNonNull(config, "config");
        this.transport = requireNonNull(transport, "transport");
        this.records = requireNonNull(records, "records");
        this.clock = requireNonNull(clock, "clock");
        this.timer = requireNonNull(timer, "timer");
        this.blocking = requireNonNull(blocking, "blocking");
        this.table = new RoutingTable(key.id(), config.k());
        this.vetting = new ContactVetting(key.id(), self, table, config, transport, clock, requireNonNull(events, "events"), log);
        this.responder = new KademliaResponder(requireNonNull(self, "self"), table, config, records, vetting, clock, blocking,
                this::forgetRecent, log);
        this.recent = config.lookupCacheAge().isZero() ? null : Caffeine.newBuilder()
                .expireAfterWrite(config.lookupCacheAge())
                .maximumSize(RECENT_KEYS)
                .ticker(() -> clock.millis() * 1_000_000L)
                .buildAsync();
    }

    /** Keys whose recent lookups are kept. */
    static final int RECENT_KEYS = 10_000;

    private record RecentKey(ContentId key, Optional<RecordKind> kind) {
    }

    /**
     * The records under {@code key} as a recent lookup found them: a hot key (a Kv value read
     * often, a file being read) costs one iterative lookup per {@link KademliaConfig#lookupCacheAge},
     * not one per read, and concurrent reads of a key share one lookup. Records expired since
     * are left out (all expired: a new lookup); a record stored here, or published by this node,
     * drops the key's entry, so the next read looks again and sees it. A record published
     * elsewhere since the lookup is seen at most the cache age late; a lookup that found nothing
     * is not kept. What must be current (repair, stat) uses {@link #lookupValue}.
     */
    public Mono<List<DhtRecord>> recentValue(ContentId key, Optional<RecordKind> kind) {
        if (recent == null) {
            return lookupValue(key, kind, false).map(Lookup.Result::records);
        }
        RecentKey k = new RecentKey(key, kind);
        return Mono.defer(() -> {
            // Suppress cancel: one reader going away must not cancel the lookup others share.
            return Mono.fromFuture(recent.get(k, (x, executor) -> lookupValue(key, kind, false)
                            .map(Lookup.Result::records)
                            .filter(l -> !l.isEmpty())
                            .toFuture()), true)
                    .flatMap(found -> {
                        long now = clock.millis();
                        List<DhtRecord> live = found.stream().filter(r -> !r.expiredAt(now)).toList();
                        if (live.isEmpty()) {
                            recent.synchronous().invalidate(k);
                            return lookupValue(key, kind, false).map(Lookup.Result::records);
                        }
                        return Mono.just(live);
                    })
                    .defaultIfEmpty(List.of());
        });
    }

    /** Drops the recent lookups of {@code key}: a record under it was stored here or published from here. */
    private void forgetRecent(ContentId key) {
        if (recent != null) {
            recent.synchronous().invalidate(new RecentKey(key, Optional.empty()));
            for (RecordKind kind : RecordKind.values()) {
                recent.synchronous().invalidate(new RecentKey(key, Optional.of(kind)));
            }
        }
    }

    public NodeId id() {
        return key.id();
    }

    public Contact self() {
        return responder.self();
    }

    /**
     * Where other parts of the node report what they learnt of a contact (a chunk call that
     * failed, an address that answered as another node), so the routing table learns it too.
     */
    public ContactListener contactEvents() {
        return lookupListener;
    }

    /** The callee side: what this node answers to other nodes' requests. */
    public KademliaResponder responder() {
        return responder;
    }

    public RoutingTable table() {
        return table;
    }

    public KademliaConfig config() {
        return config;
    }

    public RecordStore records() {
        return records;
    }

    // ---- the caller side ----

    /** Runs a transport call to {@code to}, teaching the table whether it answered. */
    private <T> Mono<T> call(Contact to, Mono<T> rpc) {
        return Mono.defer(() -> {
            long started = System.nanoTime();
            return rpc.doOnSuccess(v -> heardFrom(to, (System.nanoTime() - started) / 1_000_000))
                    .doOnError(e -> vetting.noAnswer(to));
        });
    }

    /**
     * Joins the network: pings contacts known from before (a restart) and seed addresses whose
     * ids we do not know yet (bootstrap), then looks up our own id and refreshes every bucket
     * further out than our closest neighbour, as in Kademlia.
     *
     * @return how many contacts the table holds afterwards
     */
    public Mono<Integer> join(List<Contact> known, List<HostPort> seeds) {
        Flux<Contact> knownAnswers = Flux.fromIterable(known)
                .flatMap(c -> call(c, transport.ping(c, config.rpcTimeout())).onErrorResume(e -> Mono.empty()), FAN_OUT);
        Flux<Contact> seedAnswers = Flux.fromIterable(seeds)
                .flatMap(a -> transport.ping(a.host(), a.port(), config.rpcTimeout())
                        .doOnNext(c -> heardFrom(c, 0))
                        .onErrorResume(e -> {
                            log.warn("bootstrap peer {} did not answer: {}", a, e.getMessage());
                            return Mono.empty();
                        }), FAN_OUT);
        return Flux.merge(knownAnswers, seedAnswers).then(Mono.defer(this::joinFromTable));
    }

    private Mono<Integer> joinFromTable() {
        if (table.size() == 0) {
            return Mono.just(0);
        }
        return lookupNode(id())
                .then(Mono.defer(() -> refreshBuckets(table.staleBuckets(Long.MAX_VALUE))))
                .then(Mono.fromSupplier(table::size));
    }

    /** Iterative FindNode for {@code target}. */
    public Mono<Lookup.Result> lookupNode(Key256 target) {
        return Mono.defer(() -> {
            table.touch(target, clock.millis());
            return Lookup.nodes(target, id(), table.closest(target, config.k(), true), transport, config, clock, timer,
                    lookupListener, this::suspect);
        });
    }

    /** Whether {@code contact} failed recently and lookups should not wait on it. */
    public boolean suspect(Contact contact) {
        return vetting.suspect(contact);
    }

    /**
     * Learns a contact that answered a call we made (so the address is proven); a full bucket
     * pings its oldest contact first.
     */
    public void heardFrom(Contact contact, long rttMillis) {
        vetting.heardFrom(contact, rttMillis);
    }

    /**
     * Iterative FindValue for {@code key}; records this node holds itself are included.
     *
     * @param stopAtFirst end at the first node that has records (plain values), or walk all the
     *     way to the k closest and merge (provider records, one per holder)
     */
    public Mono<Lookup.Result> lookupValue(ContentId key, Optional<RecordKind> kind, boolean stopAtFirst) {
        return Mono.fromCallable(() -> records.get(key, kind, clock.millis())).subscribeOn(blocking)
                .flatMap(local -> {
                    table.touch(key, clock.millis());
                    if (stopAtFirst && !local.isEmpty()) {
                        return Mono.just(new Lookup.Result(List.of(), local, 0, 0, true));
                    }
                    return Lookup.value(key, kind, stopAtFirst, id(), table.closest(key, config.k(), true), transport, config,
                            clock, timer, lookupListener, this::suspect).map(r -> merge(r, local));
                });
    }

    private static Lookup.Result merge(Lookup.Result r, List<DhtRecord> local) {
        if (local.isEmpty()) {
            return r;
        }
        List<DhtRecord> all = new ArrayList<>(r.records());
        for (DhtRecord l : local) {
            boolean newer = all.stream().noneMatch(x -> x.kind() == l.kind() && x.publisherId().equals(l.publisherId())
                    && x.publishedAtUnixMs() >= l.publishedAtUnixMs());
            if (newer) {
                all.removeIf(x -> x.kind() == l.kind() && x.publisherId().equals(l.publisherId()));
                all.add(l);
            }
        }
        return new Lookup.Result(r.closest(), all, r.rpcs(), r.hops(), r.complete());
    }

    /**
     * Stores {@code record} at the k nodes closest to its key (and here, when this node is one of
     * them).
     *
     * @return how many nodes accepted it
     */
    public Mono<Integer> publish(DhtRecord record) {
        return lookupNode(record.key()).doFirst(() -> forgetRecent(record.key())).flatMap(found -> {
            List<Contact> targets = found.closest();
            boolean selfAmongClosest = targets.size() < config.k()
                    || record.key().compareDistance(id(), targets.get(targets.size() - 1).id()) < 0;
            Mono<Integer> local = selfAmongClosest
                    ? responder.onStore(Optional.empty(), record).map(b -> 1).onErrorResume(e -> Mono.just(0))
                    : Mono.just(0);
            Mono<Integer> remote = Flux.fromIterable(targets)
                    .flatMap(c -> call(c, transport.store(c, record, config.rpcTimeout()))
                            .map(stored -> 1)
                            .onErrorResume(e -> {
                                log.debug("store of {} at {} failed: {}", record, c, e.getMessage());
                                return Mono.just(0);
                            }), FAN_OUT)
                    .reduce(0, Integer::sum);
            return Mono.zip(local, remote, Integer::sum);
        }).doFinally(s -> forgetRecent(record.key()));
    }

    /** Refreshes the given buckets, one random lookup each, one after another. */
    public Mono<Void> refreshBuckets(List<Integer> buckets) {
        return Flux.fromIterable(buckets)
                .concatMap(i -> lookupNode(table.randomIdInBucket(i)).onErrorResume(e -> Mono.empty()))
                .then();
    }

    /** Refreshes buckets that no lookup or contact touched for the refresh interval. */
    public Mono<Void> refreshStaleBuckets() {
        return Mono.defer(() -> refreshBuckets(table.staleBuckets(clock.millis() - config.bucketRefreshInterval().toMillis())));
    }

    /**
     * One round of peer gossip: trades a sample of our table with a random peer and adds the
     * contacts it sends that answer a ping.
     *
     * @return how many contacts new to this node answered as the ids they were named by (the
     *     table's size is no measure: other calls add and drop contacts at the same time)
     */
    public Mono<Long> gossip() {
        return Mono.defer(() -> {
            List<Contact> one = table.sample(1);
            if (one.isEmpty()) {
                return Mono.just(0L);
            }
            Contact peer = one.get(0);
            return call(peer, transport.exchangePeers(peer, table.sample(GOSSIP_SAMPLE), config.rpcTimeout()))
                    .flatMap(vetting::verifyAndLearn)
                    .onErrorResume(e -> Mono.just(0L));
        });
    }

    /** Drops expired records. */
    public Mono<Integer> expireRecords() {
        return Mono.fromCallable(() -> records.expire(clock.millis())).subscribeOn(blocking);
    }
}
