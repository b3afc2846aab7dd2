package io.shardmesh.common.grpc;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.DhtTransport;
import io.shardmesh.common.dht.RecordCodec;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import io.shardmesh.proto.v1.ExchangePeersRequest;
import io.shardmesh.proto.v1.FindNodeRequest;
import io.shardmesh.proto.v1.FindValueRequest;
import io.shardmesh.proto.v1.PingRequest;
import io.shardmesh.proto.v1.ReactorDhtGrpc;
import io.shardmesh.proto.v1.ReactorNodeGrpc;
import io.shardmesh.proto.v1.StoreRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * {@link DhtTransport} over gRPC. Every call carries our contact (when we are a node), has a
 * deadline, and checks who answered: a peer whose address now hosts a different node counts as
 * unreachable, so stale contacts leave routing tables.
 */
public final class GrpcDhtTransport implements DhtTransport {

    private final PeerChannels channels;
    private final Supplier<Optional<Contact>> self;

    /**
     * @param self our contact, or empty for a client that is not a node (not added to tables)
     */
    public GrpcDhtTransport(PeerChannels channels, Supplier<Optional<Contact>> self) {
        this.channels = requireNonNull(channels, "channels");
        this.self = requireNonNull(self, "self");
    }

    private ReactorDhtGrpc.ReactorDhtStub dht(String host, int port, Duration timeout) {
        return ReactorDhtGrpc.newReactorStub(channels.get(host, port)).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A stub whose calls fail unless {@code to} is the node that answers. */
    private ReactorDhtGrpc.ReactorDhtStub dht(Contact to, Duration timeout) {
        return PeerIdentity.expecting(ReactorDhtGrpc.newReactorStub(channels.get(to)), to)
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private io.shardmesh.proto.v1.Contact sender() {
        return self.get().map(Wire::contact).orElse(null);
    }

    @Override
    public Mono<Contact> ping(Contact to, Duration timeout) {
        return Mono.defer(() -> {
            PingRequest.Builder b = PingRequest.newBuilder();
            Optional.ofNullable(sender()).ifPresent(b::setSender);
            return Detached.call(dht(to, timeout).ping(b.build()))
                    .map(r -> expect(to, Wire.contact(r.hasResponder(), r.getResponder(), "responder")));
        }).onErrorMap(e -> StatusMapper.fromThrowable(e, "Ping " + to));
    }

    @Override
    public Mono<Contact> ping(String host, int port, Duration timeout) {
        return Mono.defer(() -> {
            PingRequest.Builder b = PingRequest.newBuilder();
            Optional.ofNullable(sender()).ifPresent(b::setSender);
            return Detached.call(dht(host, port, timeout).ping(b.build()))
                    .map(r -> Wire.contact(r.hasResponder(), r.getResponder(), "responder"));
        }).onErrorMap(e -> StatusMapper.fromThrowable(e, "Ping " + host + ":" + port));
    }

    @Override
    public Mono<List<Contact>> findNode(Contact to, Key256 target, Duration timeout) {
        return Mono.defer(() -> {
            FindNodeRequest.Builder b = FindNodeRequest.newBuilder().setTargetId(target.hex());
            Optional.ofNullable(sender()).ifPresent(b::setSender);
            return Detached.call(dht(to, timeout).findNode(b.build())).map(r -> {
                expect(to, Wire.contact(r.hasResponder(), r.getResponder(), "responder"));
                return contacts(r.getContactsList());
            });
        }).onErrorMap(e -> StatusMapper.fromThrowable(e, "FindNode at " + to));
    }

    @Override
    public Mono<ValueReply> findValue(Contact to, ContentId key, Optional<RecordKind> kind, Duration timeout) {
        return Mono.defer(() -> {
            FindValueRequest.Builder b = FindValueRequest.newBuilder().setKey(key.hex());
            kind.ifPresent(k -> b.setKind(RecordCodec.toProto(k)));
            Optional.ofNullable(sender()).ifPresent(b::setSender);
            return Detached.call(dht(to, timeout).findValue(b.build())).map(r -> {
                expect(to, Wire.contact(r.hasResponder(), r.getResponder(), "responder"));
                List<DhtRecord> records = new ArrayList<>();
                for (var rec : r.getRecordsList()) {
                    try {
                        records.add(RecordCodec.fromProto(rec, "record"));
                    } catch (MeshException e) {
                        // One malformed record does not spoil the others; lookups verify each.
                    }
                }
                return new ValueReply(records, contacts(r.getContactsList()));
            });
        }).onErrorMap(e -> StatusMapper.fromThrowable(e, "FindValue at " + to));
    }

    @Override
    public Mono<Boolean> store(Contact to, DhtRecord record, Duration timeout) {
        return Mono.defer(() -> {
            StoreRequest.Builder b = StoreRequest.newBuilder().setRecord(RecordCodec.toProto(record));
            Optional.ofNullable(sender()).ifPresent(b::setSender);
            return Detached.call(dht(to, timeout).store(b.build())).map(r -> r.getStored());
        }).onErrorMap(e -> StatusMapper.fromThrowable(e, "Store at " + to));
    }

    @Override
    public Mono<List<Contact>> exchangePeers(Contact to, List<Contact> sample, Duration timeout) {
        return Mono.defer(() -> {
            ExchangePeersRequest.Builder b = ExchangePeersRequest.newBuilder();
            sample.forEach(c -> b.addPeers(Wire.contact(c)));
            Optional.ofNullable(sender()).ifPresent(b::setSender);
            return Detached.call(PeerIdentity.expecting(ReactorNodeGrpc.newReactorStub(channels.get(to)), to)
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .exchangePeers(b.build()))
                    .map(r -> contacts(r.getPeersList()));
        }).onErrorMap(e -> StatusMapper.fromThrowable(e, "ExchangePeers at " + to));
    }

    /** Contacts from a reply; malformed ones are skipped, the rest are still useful. */
    private static List<Contact> contacts(List<io.shardmesh.proto.v1.Contact> wire) {
        List<Contact> out = new ArrayList<>(Math.min(wire.size(), 64));
        for (var c : wire) {
            try {
                out.add(Wire.contact(true, c, "contact"));
            } catch (MeshException e) {
                // skip junk
            }
        }
        return out;
    }

    private static Contact expect(Contact expected, Contact answered) {
        if (!answered.id().equals(expected.id())) {
            throw MeshException.unavailable(expected.address() + " is now node " + answered.id()
                    + ", not " + expected.id());
        }
        return answered;
    }
}
