package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtTransport;
import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.server.meta.MetadataDb;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The node's DHT, its parts built together over the node's database: {@link Kademlia} with
 * SQLite-backed records, the persisted {@link Peers} table, the records this node publishes
 * ({@link Publisher}), {@code Kv} ({@link KeyValues}), and the timers that keep it healthy.
 * Nothing here blocks a caller: database work runs on the blocking scheduler.
 */
public final class DhtService implements AutoCloseable {

    private final Kademlia kademlia;
    private final Peers peers;
    private final Publisher publisher;
    private final KeyValues keyValues;
    private final DhtMaintenance maintenance;
    private final Supplier<Contact> self;
    private final Scheduler blocking;

    public DhtService(NodeKey key, Supplier<Contact> self, DhtConfig config, DhtTransport transport, MetadataDb db,
                      Clock clock, Scheduler timer, Scheduler blocking) {
        requireNonNull(key, "key");
        Logger log = NodeLog.logger(DhtService.class, key.id());
        this.blocking = requireNonNull(blocking, "blocking");
        this.self = requireNonNull(self, "self");
        // The table lives in the Kademlia that reports sightings to the peer table: read when needed.
        this.peers = new Peers(new PeerStore(db), () -> kademlia().table(), config, clock, timer, blocking, log);
        this.kademlia = new Kademlia(key, self, config.kademlia(), transport, new SqliteRecordStore(db), clock, timer,
                blocking, peers);
        this.publisher = new Publisher(key, self, kademlia, new PublishedRecords(db), clock, blocking, log);
        this.keyValues = new KeyValues(kademlia, publisher);
        this.maintenance = new DhtMaintenance(kademlia, peers, publisher, config, timer, log);
    }

    public Kademlia kademlia() {
        return kademlia;
    }

    public Peers peers() {
        return peers;
    }

    public Publisher publisher() {
        return publisher;
    }

    public KeyValues keyValues() {
        return keyValues;
    }

    /**
     * Every node in the routing table, ourselves included: where a put may place shards. One
     * that missed a call is not left out (that would crowd a stripe onto fewer nodes); if it is
     * really down, the upload fails over to the next node and it sits out a cooldown.
     */
    public List<Contact> placementCandidates() {
        List<Contact> all = new ArrayList<>();
        for (var e : kademlia.table().entries()) {
            all.add(e.contact());
        }
        all.add(self.get());
        return all;
    }

    /** DHT records held here. */
    public Mono<Long> recordCount() {
        return Mono.fromCallable(() -> kademlia.records().count()).subscribeOn(blocking);
    }

    /** Joins the network in the background and starts the timers. */
    public void start() {
        maintenance.start();
    }

    @Override
    public void close() {
        maintenance.stop();
        peers.close();
    }
}
