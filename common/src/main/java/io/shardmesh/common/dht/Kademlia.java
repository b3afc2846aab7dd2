package io.shardmesh.common.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.net.HostPort;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * One node's Kademlia: its routing table, the answers it gives (the callee side of Ping,
 * FindNode, FindValue, Store and ExchangePeers), and what it asks of others (join, lookups,
 * publish, bucket refresh, gossip). Transport-free: the same object runs behind gRPC and in a
 * simulated in-memory network.
 */
public final class Kademlia {

    private final Logger log;
    /** Peers sent and accepted per gossip exchange. */
    public static final int GOSSIP_SAMPLE = 64;
    /** Stores (and pings) in flight at once during a publish or a gossip check. */
    private static final int FAN_OUT = 8;

    private final NodeKey key;
    private final Supplier<Contact> self;
    private final DhtConfig config;
    private final DhtTransport transport;
    private final RecordStore records;
    private final Clock clock;
    private final Scheduler timer;
    private final Scheduler blocking;
    private final ContactListener events;
    private final RoutingTable table;
    /**
     * Contacts that did not answer recently, with when that stops counting. Lookups skip them
     * even when other nodes still name them, so a dead node costs each node one timeout, not
     * one per lookup (as libp2p's dial backoff does). Hearing from a contact clears it.
     */
    private final Map<Contact, Long> suspectUntil = new ConcurrentHashMap<>();
    /** Bound of the suspect map: past it, expired entries are swept and the oldest dropped. */
    static final int MAX_SUSPECTS = 10_000;
    /** Contacts checked by a verification ping recently: a caller is checked once per this, not per request. */
    private final Map<Contact, Long> checkedUntil = new ConcurrentHashMap<>();
    /** Contacts that answered a verification ping at their claimed address recently. */
    private final Map<Contact, Long> verifiedUntil = new ConcurrentHashMap<>();
    /** How soon a contact whose check failed may be checked again. */
    static final java.time.Duration RECHECK_AFTER_FAILURE = java.time.Duration.ofSeconds(2);
    /** Verification pings (gossip, unknown callers) in flight at once, node-wide. */
    static final int MAX_VERIFICATIONS = 64;
    private final java.util.concurrent.Semaphore verifications = new java.util.concurrent.Semaphore(MAX_VERIFICATIONS);
    /** How long a contact that failed is skipped by lookups. */
    public static final java.time.Duration SUSPECT_FOR = java.time.Duration.ofMinutes(10);
    /** Contacts being pinged because their bucket is full, so one contact gets one ping at a time. */
    private final Set<NodeId> evictionPings = ConcurrentHashMap.newKeySet();
    private final ContactListener lookupListener = new ContactListener() {
        @Override
        public void responded(Contact contact, long rttMillis) {
            heardFrom(contact, rttMillis);
        }

        @Override
        public void failed(Contact contact) {
            noAnswer(contact);
        }
    };

    public Kademlia(NodeKey key, Supplier<Contact> self, DhtConfig config, DhtTransport transport, RecordStore records,
                    Clock clock, Scheduler timer, Scheduler blocking, ContactListener events) {
        this.key = requireNonNull(key, "key");
        this.log = NodeLog.logger(Kademlia.class, key.id());
        this.self = requireNonNull(self, "self");
        this.config = requireNonNull(config, "config");
        this.transport = requireNonNull(transport, "transport");
        this.records = requireNonNull(records, "records");
        this.clock = requireNonNull(clock, "clock");
        this.timer = requireNonNull(timer, "timer");
        this.blocking = requireNonNull(blocking, "blocking");
        this.events = requireNonNull(events, "events");
        this.table = new RoutingTable(key.id(), config.k());
    }

    public NodeId id() {
        return key.id();
    }

    public Contact self() {
        return self.get();
    }

    public RoutingTable table() {
        return table;
    }

    public DhtConfig config() {
        return config;
    }

    public RecordStore records() {
        return records;
    }

    // ---- the callee side ----

    /**
     * Learns a contact that answered a call we made to its address (so the address is proven);
     * a full bucket pings its oldest contact first.
     */
    public void heardFrom(Contact contact, long rttMillis) {
        if (contact.id().equals(id())) {
            return;
        }
        suspectUntil.remove(contact);
        RoutingTable.Observed o = table.observe(contact, clock.millis());
        events.responded(contact, rttMillis);
        if (o instanceof RoutingTable.BucketFull full && evictionPings.add(full.oldest().id())) {
            Contact oldest = full.oldest();
            transport.ping(oldest, config.rpcTimeout())
                    .doFinally(s -> evictionPings.remove(oldest.id()))
                    .subscribe(
                            answered -> table.observe(oldest, clock.millis()),
                            error -> {
                                // The oldest contact is gone: the newcomer waiting in the
                                // replacement cache takes its place.
                                table.remove(oldest.id());
                                events.failed(oldest);
                            });
        }
    }

    /**
     * Learns from a request's self-declared sender, which anyone can forge: a known node is only
     * marked as seen (its address is never changed this way); an unknown one is added only after
     * a ping to the claimed address answers with the claimed id.
     */
    public void claimedBy(Contact sender) {
        if (sender.id().equals(id())) {
            return;
        }
        var known = table.entry(sender.id());
        if (known.isPresent()) {
            if (known.get().contact().equals(sender)) {
                table.observe(sender, clock.millis());
                events.responded(sender, 0);
            }
            return;
        }
        if (recentlyVerified(sender)) {
            // It proved this address recently (it waits in a full bucket's replacement cache):
            // a sighting as good as an answer, which may make way for it.
            heardFrom(sender, 0);
            return;
        }
        verifyAndLearn(List.of(sender)).subscribe(n -> { }, e -> log.debug("caller check failed: {}", e.getMessage()));
    }

    private void noAnswer(Contact contact) {
        verifiedUntil.remove(contact);
        bounded(suspectUntil).put(contact, clock.millis() + SUSPECT_FOR.toMillis());
        table.failed(contact, config.maxFailures());
        events.failed(contact);
    }

    /** Ping: learns the sender, answers with our contact. */
    public Contact onPing(Optional<Contact> sender) {
        sender.ifPresent(this::claimedBy);
        return self();
    }

    /** FindNode: the closest contacts we know to {@code target}, never the sender. */
    public List<Contact> onFindNode(Optional<Contact> sender, Key256 target, int limit) {
        sender.ifPresent(this::claimedBy);
        int n = limit <= 0 ? config.k() : Math.min(limit, config.k());
        return closestExcept(target, n, sender);
    }

    private List<Contact> closestExcept(Key256 target, int n, Optional<Contact> sender) {
        List<Contact> out = new ArrayList<>(table.closest(target, n + 1, true));
        sender.ifPresent(s -> out.removeIf(c -> c.id().equals(s.id())));
        return out.size() > n ? out.subList(0, n) : out;
    }

    /** FindValue: our unexpired records for {@code key}, else our closest contacts. */
    public Mono<DhtTransport.ValueReply> onFindValue(Optional<Contact> sender, ContentId key, Optional<RecordKind> kind) {
        sender.ifPresent(this::claimedBy);
        return Mono.fromCallable(() -> records.get(key, kind, clock.millis())).subscribeOn(blocking)
                .map(found -> found.isEmpty()
                        ? new DhtTransport.ValueReply(List.of(), closestExcept(key, config.k(), sender))
                        : new DhtTransport.ValueReply(found, List.of()));
    }

    /** Store: verifies the record and keeps it within the limits. */
    public Mono<Boolean> onStore(Optional<Contact> sender, DhtRecord record) {
        return Mono.fromCallable(() -> {
            sender.ifPresent(this::claimedBy);
            long now = clock.millis();
            record.verify(now, config);
            return records.put(record, now, config);
        }).subscribeOn(blocking);
    }

    /**
     * ExchangePeers: answers with a sample of our table. Contacts the caller sent are not trusted
     * into the table on its word: each unknown one is pinged, and only those that answer are added.
     */
    public List<Contact> onExchangePeers(Optional<Contact> sender, List<Contact> theirs) {
        sender.ifPresent(this::claimedBy);
        verifyAndLearn(theirs).subscribe(n -> { }, e -> log.debug("gossip check failed: {}", e.getMessage()));
        List<Contact> sample = table.sample(GOSSIP_SAMPLE + 1);
        sender.ifPresent(s -> sample.removeIf(c -> c.id().equals(s.id())));
        return sample.size() > GOSSIP_SAMPLE ? sample.subList(0, GOSSIP_SAMPLE) : sample;
    }

    private Mono<Long> verifyAndLearn(Collection<Contact> candidates) {
        return Flux.fromIterable(candidates)
                .take(GOSSIP_SAMPLE)
                .filter(c -> !c.id().equals(id()) && table.entry(c.id()).isEmpty() && !suspect(c))
                .flatMap(c -> {
                    if (recentlyVerified(c)) {
                        heardFrom(c, 0);
                        return Mono.just(c);
                    }
                    // Checked once per SUSPECT_FOR, and a node-wide bound on pings in flight:
                    // callers cannot make this node ping arbitrary addresses at will.
                    // The permit first: a caller dropped because too many checks are in flight
                    // is checked on a later call, not written off for SUSPECT_FOR.
                    if (!verifications.tryAcquire()) {
                        return Mono.empty();
                    }
                    if (!firstCheck(c)) {
                        verifications.release();
                        return Mono.empty();
                    }
                    return transport.ping(c, config.rpcTimeout())
                            .doFinally(sig -> verifications.release())
                            .filter(answered -> answered.id().equals(c.id()))
                            .doOnNext(answered -> {
                                bounded(verifiedUntil).put(c, clock.millis() + SUSPECT_FOR.toMillis());
                                heardFrom(c, 0);
                            })
                            .onErrorResume(e -> {
                                // It may just have been restarting: a caller that calls again soon
                                // is evidently up, so a failed check holds off only briefly.
                                checkedUntil.put(c, clock.millis() + RECHECK_AFTER_FAILURE.toMillis());
                                return Mono.empty();
                            });
                }, FAN_OUT)
                .count();
    }

    private boolean recentlyVerified(Contact c) {
        Long until = verifiedUntil.get(c);
        return until != null && until > clock.millis();
    }

    // ---- the caller side ----

    /** Runs a transport call to {@code to}, teaching the table whether it answered. */
    private <T> Mono<T> call(Contact to, Mono<T> rpc) {
        return Mono.defer(() -> {
            long started = System.nanoTime();
            return rpc.doOnSuccess(v -> heardFrom(to, (System.nanoTime() - started) / 1_000_000))
                    .doOnError(e -> noAnswer(to));
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

    /** {@code map} with room for one more: expired entries swept, and cleared if still full. */
    private Map<Contact, Long> bounded(Map<Contact, Long> map) {
        if (map.size() >= MAX_SUSPECTS) {
            long now = clock.millis();
            map.values().removeIf(until -> until <= now);
            if (map.size() >= MAX_SUSPECTS) {
                map.clear();
            }
        }
        return map;
    }

    /** True the first time {@code c} is to be checked within {@link #SUSPECT_FOR}. */
    private boolean firstCheck(Contact c) {
        long now = clock.millis();
        bounded(checkedUntil);
        Long until = checkedUntil.get(c);
        if (until != null && until > now) {
            return false;
        }
        checkedUntil.put(c, now + SUSPECT_FOR.toMillis());
        return true;
    }

    /** Whether {@code id} failed recently and lookups should not wait on it. */
    public boolean suspect(Contact contact) {
        Long until = suspectUntil.get(contact);
        if (until == null) {
            return false;
        }
        if (until <= clock.millis()) {
            suspectUntil.remove(contact, until);
            return false;
        }
        return true;
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
        return lookupNode(record.key()).flatMap(found -> {
            List<Contact> targets = found.closest();
            boolean selfAmongClosest = targets.size() < config.k()
                    || record.key().compareDistance(id(), targets.get(targets.size() - 1).id()) < 0;
            Mono<Integer> local = selfAmongClosest
                    ? onStore(Optional.empty(), record).map(b -> 1).onErrorResume(e -> Mono.just(0))
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
        });
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
     * @return how many new contacts were learnt
     */
    public Mono<Long> gossip() {
        return Mono.defer(() -> {
            List<Contact> one = table.sample(1);
            if (one.isEmpty()) {
                return Mono.just(0L);
            }
            Contact peer = one.get(0);
            int before = table.size();
            return call(peer, transport.exchangePeers(peer, table.sample(GOSSIP_SAMPLE), config.rpcTimeout()))
                    .flatMap(this::verifyAndLearn)
                    .map(n -> (long) Math.max(0, table.size() - before))
                    .onErrorResume(e -> Mono.just(0L));
        });
    }

    /** Drops expired records. */
    public Mono<Integer> expireRecords() {
        return Mono.fromCallable(() -> records.expire(clock.millis())).subscribeOn(blocking);
    }
}
