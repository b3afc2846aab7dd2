package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.error.MeshException;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * What keeps a node's DHT healthy over time: joining (through the bootstrap addresses and the
 * peers saved before a restart, retrying with backoff while the table stays empty), saving the
 * peer table, gossip, bucket refresh, record expiry and republishing, each on its own timer.
 */
final class DhtMaintenance {

    /** Saved peers pinged when a node restarts. */
    static final int REJOIN_PEERS = 200;
    /** Sightings are written to the database this often. */
    static final Duration PEER_FLUSH_INTERVAL = Duration.ofSeconds(30);
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

    private final Logger log;
    private final Kademlia kademlia;
    private final Peers peers;
    private final Publisher publisher;
    private final DhtConfig config;
    private final Scheduler timer;
    private final Disposable.Composite timers = Disposables.composite();

    DhtMaintenance(Kademlia kademlia, Peers peers, Publisher publisher, DhtConfig config, Scheduler timer, Logger log) {
        this.kademlia = requireNonNull(kademlia, "kademlia");
        this.peers = requireNonNull(peers, "peers");
        this.publisher = requireNonNull(publisher, "publisher");
        this.config = requireNonNull(config, "config");
        this.timer = requireNonNull(timer, "timer");
        this.log = requireNonNull(log, "log");
    }

    /** Joins in the background and starts the timers. */
    void start() {
        timers.add(join()
                .doOnNext(n -> {
                    if (n >= 0) {
                        log.info("joined the DHT: {} contacts in the routing table", n);
                    }
                })
                .filter(n -> n > 0)
                .flatMapMany(n -> publisher.republishMoved().onErrorResume(e -> Mono.just(0))
                        .thenMany(Flux.fromIterable(JOIN_SETTLE_LOOKUPS))
                        .concatMap(delay -> Mono.delay(delay, timer)
                                .then(kademlia.lookupNode(kademlia.id()))
                                .onErrorResume(e -> Mono.empty())))
                .subscribe(x -> { }, e -> log.debug("join stopped: {}", e.getMessage())));
        every(PEER_FLUSH_INTERVAL, peers::flush, "saving peers");
        every(config.gossipInterval(), kademlia::gossip, "gossip");
        every(config.maintenanceInterval(), () -> kademlia.refreshStaleBuckets()
                .then(kademlia.expireRecords())
                .doOnNext(n -> {
                    if (n > 0) {
                        log.info("dropped {} expired DHT record(s)", n);
                    }
                }), "DHT maintenance");
        every(config.kademlia().republishInterval(), publisher::republish, "republish");
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
        Mono<Integer> attempt = peers.saved(REJOIN_PEERS)
                .flatMap(known -> {
                    if (config.bootstrap().isEmpty() && known.isEmpty()) {
                        log.info("no bootstrap peers and no saved peers: waiting for other nodes to join through this one");
                        return Mono.just(-1);
                    }
                    return kademlia.join(known, config.bootstrap());
                })
                .flatMap(n -> n == 0 ? Mono.error(MeshException.unavailable("no peer answered yet")) : Mono.just(n));
        return attempt.retryWhen(Retry.backoff(Long.MAX_VALUE, REJOIN_FIRST_BACKOFF)
                .maxBackoff(REJOIN_MAX_BACKOFF)
                .scheduler(timer)
                .doBeforeRetry(s -> log.info("no peer reachable yet; retrying in the background ({})", s.failure().getMessage())));
    }

    void stop() {
        timers.dispose();
    }
}
