package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.KademliaResponder;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.proto.v1.BucketInfo;
import io.shardmesh.proto.v1.DrainRequest;
import io.shardmesh.proto.v1.DrainResponse;
import io.shardmesh.proto.v1.ExchangePeersRequest;
import io.shardmesh.proto.v1.ExchangePeersResponse;
import io.shardmesh.proto.v1.ForgetStalePeersRequest;
import io.shardmesh.proto.v1.ForgetStalePeersResponse;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.ListPeersResponse;
import io.shardmesh.proto.v1.PeerInfo;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.proto.v1.ReactorNodeGrpc;
import io.shardmesh.proto.v1.RepairStatus;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.proto.v1.StatusResponse;
import io.shardmesh.server.dht.PeerView;
import io.shardmesh.server.dht.Peers;
import io.shardmesh.server.repair.SelfHealing;
import io.shardmesh.server.status.StatusSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@code shardmesh.v1.Node}. */
public final class NodeGrpcService extends ReactorNodeGrpc.NodeImplBase {

    private final StatusSource status;
    private final Peers peers;
    private final KademliaResponder kademlia;
    private final SelfHealing healing;
    private final Runnable stop;

    /** @param stop stops the node once the call asking for it is answered */
    public NodeGrpcService(StatusSource status, Peers peers, KademliaResponder kademlia, SelfHealing healing, Runnable stop) {
        this.status = requireNonNull(status, "status");
        this.peers = requireNonNull(peers, "peers");
        this.kademlia = requireNonNull(kademlia, "kademlia");
        this.healing = requireNonNull(healing, "healing");
        this.stop = requireNonNull(stop, "stop");
    }

    @Override
    public Mono<StatusResponse> status(StatusRequest request) {
        return Mono.defer(status::status).map(s -> {
            StatusResponse.Builder b = StatusResponse.newBuilder()
                    .setNode(Wire.contact(s.self()))
                    .setListenAddress(s.listenAddress())
                    .setTransport(s.transport())
                    .setVersion(s.version())
                    .setStartedAtUnixMs(s.startedAtUnixMs())
                    .setUptimeMs(s.uptimeMs())
                    .setStoredChunks(s.storedChunks())
                    .setStoredBytes(s.storedBytes())
                    .setMaxStorageBytes(s.maxStorageBytes())
                    .setPinnedFiles(s.pinnedFiles())
                    .setRoutingTableSize(s.routingTableSize())
                    .setDhtRecords(s.dhtRecords())
                    .setRepair(repair(s.repair()));
            s.buckets().forEach(bk -> b.addBuckets(BucketInfo.newBuilder()
                    .setIndex(bk.index()).setSize(bk.size()).setReplacements(bk.replacements())));
            return b.build();
        });
    }

    private static RepairStatus repair(io.shardmesh.server.repair.RepairStatus r) {
        return RepairStatus.newBuilder()
                .setQueued(r.queued())
                .setRunning(r.running())
                .setDone(r.done())
                .setFailed(r.failed())
                .setShardsRepaired(r.shardsRepaired())
                .setBytesFetched(r.bytesFetched())
                .setBytesWritten(r.bytesWritten())
                .setSurplusDropped(r.surplusDropped())
                .setUnrecoverable(r.unrecoverable())
                .setScrubbedChunks(r.scrubbedChunks())
                .setQuarantinedChunks(r.quarantinedChunks())
                .setLastCheckUnixMs(r.lastCheckUnixMs())
                .build();
    }

    @Override
    public Flux<DrainResponse> drain(DrainRequest request) {
        // Read before any scheduler hop: the caller's address lives in this thread's gRPC context.
        boolean local = Caller.isLocal();
        return Flux.defer(() -> {
            if (!local) {
                return Flux.error(MeshException.permissionDenied("only a caller on this node's own host may drain it"));
            }
            Flux<DrainResponse> progress = healing.drain().map(p -> DrainResponse.newBuilder()
                    .setChunksTotal(p.chunksTotal())
                    .setChunksMoved(p.chunksMoved())
                    .setBytesMoved(p.bytesMoved())
                    .setFilesDone(p.filesDone())
                    .setFilesTotal(p.filesTotal())
                    .setDone(p.done())
                    .build());
            return request.getStop() ? progress.doOnComplete(stop) : progress;
        });
    }

    @Override
    public Mono<ListPeersResponse> listPeers(ListPeersRequest request) {
        return peers.list().map(list -> {
            ListPeersResponse.Builder b = ListPeersResponse.newBuilder();
            for (PeerView p : list) {
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
        Caller.Info caller = Caller.current();
        return Mono.fromSupplier(() -> {
            List<Contact> theirs = new ArrayList<>();
            for (var c : request.getPeersList()) {
                if (theirs.size() >= ProtocolLimits.MAX_GOSSIP_PEERS) {
                    break;
                }
                try {
                    theirs.add(Wire.contact(true, c, "peers"));
                } catch (RuntimeException e) {
                    // A junk entry is skipped; gossip is best effort.
                }
            }
            List<Contact> ours = kademlia.onExchangePeers(
                    DhtGrpcService.sender(caller, request.hasSender(), request.getSender()), theirs);
            ExchangePeersResponse.Builder b = ExchangePeersResponse.newBuilder();
            ours.forEach(c -> b.addPeers(Wire.contact(c)));
            return b.build();
        });
    }

    @Override
    public Mono<ForgetStalePeersResponse> forgetStalePeers(ForgetStalePeersRequest request) {
        return Mono.defer(() -> peers.forgetStale(Duration.ofSeconds(request.getOlderThanSeconds())))
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
