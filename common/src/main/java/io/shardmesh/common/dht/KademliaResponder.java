package io.shardmesh.common.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The callee side of one node's Kademlia: the answers it gives to Ping, FindNode, FindValue,
 * Store and ExchangePeers. Every request's sender is a claim that {@link ContactVetting} checks
 * before it reaches the routing table. Transport-free: gRPC and the simulated network call it.
 */
public final class KademliaResponder {

    private final Logger log;
    private static final int GOSSIP_SAMPLE = io.shardmesh.common.protocol.ProtocolLimits.MAX_GOSSIP_PEERS;

    private final Supplier<Contact> self;
    private final RoutingTable table;
    private final KademliaConfig config;
    private final RecordStore records;
    private final ContactVetting vetting;
    private final Clock clock;
    private final Scheduler blocking;
    /** Told the key of every record stored here. */
    private final Consumer<ContentId> stored;

    KademliaResponder(Supplier<Contact> self, RoutingTable table, KademliaConfig config, RecordStore records,
                      ContactVetting vetting, Clock clock, Scheduler blocking, Consumer<ContentId> stored, Logger log) {
        this.stored = requireNonNull(stored, "stored");
        this.self = requireNonNull(self, "self");
        this.table = requireNonNull(table, "table");
        this.config = requireNonNull(config, "config");
        this.records = requireNonNull(records, "records");
        this.vetting = requireNonNull(vetting, "vetting");
        this.clock = requireNonNull(clock, "clock");
        this.blocking = requireNonNull(blocking, "blocking");
        this.log = requireNonNull(log, "log");
    }

    /** Our own contact, as answers carry it. */
    public Contact self() {
        return self.get();
    }

    /** Ping: learns the sender, answers with our contact. */
    public Contact onPing(Optional<Contact> sender) {
        sender.ifPresent(vetting::claimedBy);
        return self.get();
    }

    /** FindNode: the closest contacts we know to {@code target}, never the sender. */
    public List<Contact> onFindNode(Optional<Contact> sender, Key256 target, int limit) {
        sender.ifPresent(vetting::claimedBy);
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
        sender.ifPresent(vetting::claimedBy);
        return Mono.fromCallable(() -> records.get(key, kind, clock.millis())).subscribeOn(blocking)
                .map(found -> found.isEmpty()
                        ? new DhtTransport.ValueReply(List.of(), closestExcept(key, config.k(), sender))
                        : new DhtTransport.ValueReply(found, List.of()));
    }

    /** Store: verifies the record and keeps it within the limits. */
    public Mono<Boolean> onStore(Optional<Contact> sender, DhtRecord record) {
        return Mono.fromCallable(() -> {
            sender.ifPresent(vetting::claimedBy);
            long now = clock.millis();
            record.verify(now, config);
            boolean kept = records.put(record, now, config);
            stored.accept(record.key());
            return kept;
        }).subscribeOn(blocking);
    }

    /**
     * ExchangePeers: answers with a sample of our table. Contacts the caller sent are not trusted
     * into the table on its word: each unknown one is pinged, and only those that answer are added.
     */
    public List<Contact> onExchangePeers(Optional<Contact> sender, List<Contact> theirs) {
        sender.ifPresent(vetting::claimedBy);
        vetting.verifyAndLearn(theirs).subscribe(n -> { }, e -> log.debug("gossip check failed: {}", e.getMessage()));
        List<Contact> sample = table.sample(GOSSIP_SAMPLE + 1);
        sender.ifPresent(s -> sample.removeIf(c -> c.id().equals(s.id())));
        return sample.size() > GOSSIP_SAMPLE ? sample.subList(0, GOSSIP_SAMPLE) : sample;
    }
}
