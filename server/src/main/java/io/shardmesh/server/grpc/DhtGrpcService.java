package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.KademliaResponder;
import io.shardmesh.common.dht.RecordCodec;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.proto.v1.FindNodeRequest;
import io.shardmesh.proto.v1.FindNodeResponse;
import io.shardmesh.proto.v1.FindValueRequest;
import io.shardmesh.proto.v1.FindValueResponse;
import io.shardmesh.proto.v1.PingRequest;
import io.shardmesh.proto.v1.PingResponse;
import io.shardmesh.proto.v1.ReactorDhtGrpc;
import io.shardmesh.proto.v1.Record;
import io.shardmesh.proto.v1.StoreRequest;
import io.shardmesh.proto.v1.StoreResponse;
import java.util.Optional;
import reactor.core.publisher.Mono;

/** {@code shardmesh.v1.Dht} over {@link Kademlia}. */
public final class DhtGrpcService extends ReactorDhtGrpc.DhtImplBase {

    /** FindValue answers stay well under the message limit; the rest is flagged truncated. */
    static final int MAX_RECORD_BYTES_PER_REPLY = 900 * 1024;

    private final KademliaResponder kademlia;

    public DhtGrpcService(KademliaResponder kademlia) {
        this.kademlia = requireNonNull(kademlia, "kademlia");
    }

    /**
     * The request's {@code sender}, as the routing table may learn it. Over TLS it must be the
     * node the connection proved: a request that names another (or comes without a
     * certificate) is still answered, but its sender is dropped, so no one enters a routing
     * table under an id they do not hold. A plaintext mesh has only the ping back to the claimed
     * address to go by ({@code ContactVetting}).
     */
    static Optional<Contact> sender(Caller.Info caller, boolean present, io.shardmesh.proto.v1.Contact c) {
        if (!present) {
            return Optional.empty();
        }
        Contact claimed = Wire.contact(true, c, "sender");
        if (caller.secured() && !caller.node().equals(Optional.of(claimed.id()))) {
            return Optional.empty();
        }
        return Optional.of(claimed);
    }

    @Override
    public Mono<PingResponse> ping(PingRequest request) {
        Caller.Info caller = Caller.current();
        return Mono.fromSupplier(() -> kademlia.onPing(sender(caller, request.hasSender(), request.getSender())))
                .map(self -> PingResponse.newBuilder().setResponder(Wire.contact(self)).build());
    }

    @Override
    public Mono<FindNodeResponse> findNode(FindNodeRequest request) {
        Caller.Info caller = Caller.current();
        return Mono.fromSupplier(() -> {
            var target = Wire.nodeId(request.getTargetId(), "target_id");
            var found = kademlia.onFindNode(sender(caller, request.hasSender(), request.getSender()), target, request.getLimit());
            FindNodeResponse.Builder b = FindNodeResponse.newBuilder().setResponder(Wire.contact(kademlia.self()));
            found.forEach(c -> b.addContacts(Wire.contact(c)));
            return b.build();
        });
    }

    @Override
    public Mono<FindValueResponse> findValue(FindValueRequest request) {
        Caller.Info caller = Caller.current();
        return Mono.defer(() -> kademlia.onFindValue(
                        sender(caller, request.hasSender(), request.getSender()),
                        Wire.contentId(request.getKey(), "key"),
                        RecordCodec.fromProto(request.getKindValue(), "kind")))
                .map(reply -> {
                    FindValueResponse.Builder b = FindValueResponse.newBuilder().setResponder(Wire.contact(kademlia.self()));
                    int bytes = 0;
                    for (DhtRecord r : reply.records()) {
                        Record wire = RecordCodec.toProto(r);
                        bytes += wire.getSerializedSize();
                        if (bytes > MAX_RECORD_BYTES_PER_REPLY) {
                            b.setTruncated(true);
                            break;
                        }
                        b.addRecords(wire);
                    }
                    reply.contacts().forEach(c -> b.addContacts(Wire.contact(c)));
                    return b.build();
                });
    }

    @Override
    public Mono<StoreResponse> store(StoreRequest request) {
        Caller.Info caller = Caller.current();
        return Mono.defer(() -> {
            if (!request.hasRecord()) {
                throw MeshException.invalidArgument("record is required");
            }
            DhtRecord record = RecordCodec.fromProto(request.getRecord(), "record");
            return kademlia.onStore(sender(caller, request.hasSender(), request.getSender()), record);
        }).map(stored -> StoreResponse.newBuilder().setStored(stored).build());
    }

    @Override
    protected Throwable onErrorMap(Throwable throwable) {
        return StatusMapper.toStatusException(throwable);
    }
}
