package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.proto.v1.BucketInfo;
import io.shardmesh.proto.v1.ExchangePeersRequest;
import io.shardmesh.proto.v1.ExchangePeersResponse;
import io.shardmesh.proto.v1.ForgetStalePeersRequest;
import io.shardmesh.proto.v1.ForgetStalePeersResponse;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.ListPeersResponse;
import io.shardmesh.proto.v1.PeerInfo;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.proto.v1.ReactorNodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StatusResponse;
import io.shardmesh.server.dht.DhtService;
import io.shardmesh.server.dht.PeerView;
import io.shardmesh.server.node.NodeStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/** {@code shardmesh.v1.Node}. */
public final class NodeGrpcService extends ReactorNodeGrpc.NodeImplBase {

    /** Contacts accepted from one ExchangePeers call. */
    static final int MAX_EXCHANGED_PEERS = 64;

    private final Supplier<Mono<NodeStatus>> status;
    private final DhtService dht;

    public NodeGrpcService(Supplier<Mono<NodeStatus>> status, DhtService dht) {
        this.status = requireNonNull(status, "status");
        this.dht = requireNonNull(dht, "dht");
    }

    @Override
    public Mono<StatusResponse> status(StatusRequest request) {
        return Mono.defer(status).map(s -> {
            StatusResponse.Builder b = StatusResponse.newBuilder()
                    .setSelf(Wire.contact(s.self()))
                    .setListenAddress(s.listenAddress())
                    .setVersion(s.version())
                    .setStartedAtUnixMs(s.startedAtUnixMs())
                    .setUptimeMs(s.uptimeMs())
                    .setStoredChunks(s.storedChunks())
                    .setStoredBytes(s.storedBytes())
                    .setMaxStorageBytes(s.maxStorageBytes())
                    .setPinnedFiles(s.pinnedFiles())
                    .setRoutingTableSize(s.routingTableSize())
                    .setDhtRecords(s.dhtRecords());
            s.buckets().forEach(bk -> b.addBuckets(BucketInfo.newBuilder()
                    .setIndex(bk.index()).setSize(bk.size()).setReplacements(bk.replacements())));
            return b.build();
        });
    }

    @Override
    public Mono<ListPeersResponse> listPeers(ListPeersRequest request) {
        return dht.peers().map(peers -> {
            ListPeersResponse.Builder b = ListPeersResponse.newBuilder();
            for (PeerView p : peers) {
                b.addPeers(PeerInfo.newBuilder()
                        .setContact(Wire.contact(p.contact()))
                        .setStatus(switch (p.status()) {
                            case ONLINE -> PeerStatus.PEER_STATUS_ONLINE;
                            case UNRESPONSIVE -> PeerStatus.PEER_STATUS_UNRESPONSIVE;
                            case OFFLINE -> PeerStatus.PEER_STATUS_OFFLINE;
                        })
                        .setFirstSeenUnixMs(p.firstSeenUnixMs())
                        .setLastSeenUnixMs(p.lastSeenUnixMs())
                        .setLastRttMs(p.lastRttMillis())
                        .setFailures(p.failures()));
            }
            return b.build();
        });
    }

    @Override
    public Mono<ExchangePeersResponse> exchangePeers(ExchangePeersRequest request) {
        return Mono.fromSupplier(() -> {
            List<Contact> theirs = new ArrayList<>();
            for (var c : request.getPeersList()) {
                if (theirs.size() >= MAX_EXCHANGED_PEERS) {
                    break;
                }
                try {
                    theirs.add(Wire.contact(true, c, "peers"));
                } catch (RuntimeException e) {
                    // A junk entry is skipped; gossip is best effort.
                }
            }
            List<Contact> ours = dht.kademlia().onExchangePeers(
                    DhtGrpcService.sender(request.hasSender(), request.getSender()), theirs);
            ExchangePeersResponse.Builder b = ExchangePeersResponse.newBuilder();
            ours.forEach(c -> b.addPeers(Wire.contact(c)));
            return b.build();
        });
    }

    @Override
    public Mono<ForgetStalePeersResponse> forgetStalePeers(ForgetStalePeersRequest request) {
        return Mono.defer(() -> dht.forgetStale(Duration.ofSeconds(request.getOlderThanSeconds())))
                .map(gone -> {
                    ForgetStalePeersResponse.Builder b = ForgetStalePeersResponse.newBuilder();
                    gone.forEach(c -> b.addForgotten(Wire.contact(c)));
                    return b.build();
                });
    }

    @Override
    protected Throwable onErrorMap(Throwable throwable) {
        return StatusMapper.toStatusException(throwable);
    }
}
