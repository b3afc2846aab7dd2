package io.shardmesh.common.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.protocol.ProtocolLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Who gets into one node's routing table, and on what evidence. An answer to a call we made
 * proves an address; a request's self-declared sender does not, so an unknown sender is added
 * only after it answers a ping at the address it claims, and a known one never changes address
 * that way. Contacts that failed recently are suspect, and lookups skip them. Every check is
 * bounded: callers cannot make this node ping arbitrary addresses at will.
 */
final class ContactVetting {

    private final Logger log;
    /** Stores (and pings) in flight at once during a gossip check. */
    private static final int FAN_OUT = 8;
    /** Peers considered per gossip exchange. */
    private static final int GOSSIP_SAMPLE = ProtocolLimits.MAX_GOSSIP_PEERS;

    private final NodeId self;
    private final RoutingTable table;
    private final KademliaConfig config;
    private final DhtTransport transport;
    private final Clock clock;
    private final ContactListener events;
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
    static final Duration RECHECK_AFTER_FAILURE = Duration.ofSeconds(2);
    /** Verification pings (gossip, unknown callers) in flight at once, node-wide. */
    static final int MAX_VERIFICATIONS = 64;
    private final Semaphore verifications = new Semaphore(MAX_VERIFICATIONS);
    /** How long a contact that failed is skipped by lookups. */
    static final Duration SUSPECT_FOR = Kademlia.SUSPECT_FOR;
    /** Contacts being pinged because their bucket is full, so one contact gets one ping at a time. */
    private final Set<NodeId> evictionPings = ConcurrentHashMap.newKeySet();

    private final Supplier<Contact> selfContact;

    ContactVetting(NodeId self, Supplier<Contact> selfContact, RoutingTable table, KademliaConfig config,
                   DhtTransport transport, Clock clock, ContactListener events, Logger log) {
        this.self = requireNonNull(self, "self");
        this.selfContact = requireNonNull(selfContact, "selfContact");
        this.table = requireNonNull(table, "table");
        this.config = requireNonNull(config, "config");
        this.transport = requireNonNull(transport, "transport");
        this.clock = requireNonNull(clock, "clock");
        this.events = requireNonNull(events, "events");
        this.log = requireNonNull(log, "log");
    }

    /**
     * Learns a contact that answered a call we made to its address (so the address is proven);
     * a full bucket pings its oldest contact first.
     */
    void heardFrom(Contact contact, long rttMillis) {
        if (contact.id().equals(self) || !routable(contact)) {
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
    void claimedBy(Contact sender) {
        if (sender.id().equals(self) || !routable(sender)) {
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

    /**
     * {@code stale}'s address answered as another node: it is gone from there, at once (not
     * after maxFailures calls). The node now there is checked and learnt like any other.
     */
    void replaced(Contact stale, Optional<NodeId> answeredAs) {
        if (table.entry(stale.id()).map(e -> e.contact().equals(stale)).orElse(false)) {
            table.remove(stale.id());
            // Once per contact: it has left the table, so the next call there is not to it.
            log.info("{} now answers as {}: dropped from the routing table", stale,
                    answeredAs.map(id -> "node " + id).orElse("something else"));
        }
        verifiedUntil.remove(stale);
        bounded(suspectUntil).put(stale, clock.millis() + SUSPECT_FOR.toMillis());
        events.failed(stale);
        answeredAs.filter(id -> !id.equals(self)).ifPresent(id -> verifyAndLearn(List.of(new Contact(id, stale.host(), stale.port())))
                .subscribe(n -> { }, e -> log.debug("checking the node now at {} failed: {}", stale.address(), e.getMessage())));
    }

    /** A call to {@code contact} failed or timed out: lookups skip it for a while. */
    void noAnswer(Contact contact) {
        verifiedUntil.remove(contact);
        bounded(suspectUntil).put(contact, clock.millis() + SUSPECT_FOR.toMillis());
        table.failed(contact, config.maxFailures());
        events.failed(contact);
    }

    /** Pings the unknown ones of {@code candidates} and adds those that answer with the id they claimed. */
    Mono<Long> verifyAndLearn(Collection<Contact> candidates) {
        return Flux.fromIterable(candidates)
                .take(GOSSIP_SAMPLE)
                .filter(c -> !c.id().equals(self) && routable(c) && table.entry(c.id()).isEmpty() && !suspect(c))
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

    /**
     * Whether {@code c} belongs in this node's table: a loopback contact is dialable only on its
     * own host, so a node that others reach over the network does not take one in (it would hand
     * it on to them in its answers, and they could never reach it).
     */
    boolean routable(Contact c) {
        if (!HostPort.isLoopback(c.host())) {
            return true;
        }
        try {
            return HostPort.isLoopback(selfContact.get().host());
        } catch (RuntimeException e) {
            // Not started yet: no address to compare with, so no reason to refuse.
            return true;
        }
    }

    private boolean recentlyVerified(Contact c) {
        Long until = verifiedUntil.get(c);
        return until != null && until > clock.millis();
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
    boolean suspect(Contact contact) {
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
}
