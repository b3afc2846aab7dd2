package io.shardmesh.common.dht;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * The DHT calls one node makes to another. Implemented over gRPC for real nodes and in memory
 * for simulated networks, so the Kademlia logic above it is the same in both. Every call has a
 * deadline; a call that errs or times out emits an error, never hangs.
 */
public interface DhtTransport {

    /** Pings a contact; emits the contact that answered (its id may differ from what we expected). */
    Mono<Contact> ping(Contact to, Duration timeout);

    /** Pings an address whose node id is not known yet (bootstrap); emits who answered. */
    Mono<Contact> ping(String host, int port, Duration timeout);

    /** FindNode: the callee's closest contacts to {@code target}. */
    Mono<List<Contact>> findNode(Contact to, Key256 target, Duration timeout);

    /** FindValue: the callee's records for {@code key} (of {@code kind}), else its closest contacts. */
    Mono<ValueReply> findValue(Contact to, ContentId key, Optional<RecordKind> kind, Duration timeout);

    /** Store: emits whether the callee kept the record (false: it had it or a newer one). */
    Mono<Boolean> store(Contact to, DhtRecord record, Duration timeout);

    /** ExchangePeers: sends a sample of our peers, emits a sample of the callee's. */
    Mono<List<Contact>> exchangePeers(Contact to, List<Contact> sample, Duration timeout);

    /** A FindValue answer: records, or contacts when the callee holds none. */
    record ValueReply(List<DhtRecord> records, List<Contact> contacts) {
        public ValueReply {
            records = List.copyOf(records);
            contacts = List.copyOf(contacts);
        }
    }
}
