package io.shardmesh.cli;

import io.shardmesh.cli.grpc.CommandEventLoop;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.NodeKeyFile;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.ContactListener;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.dht.Lookup;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.grpc.GrpcDhtTransport;
import io.shardmesh.common.grpc.GrpcMesh;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FileDelete;
import io.shardmesh.common.transfer.FileDirectory;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.common.transfer.TransferConfig;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.server.grpc.TransportSecurity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The command line as a client of the mesh (not a node): it learns the mesh from {@code --node}
 * (its contact and its live peers), then stores and fetches shards straight from the nodes that
 * hold them, with the same pipelines the nodes use. Files it stores are owned by the CLI's own
 * key ({@code $SHARDMESH_HOME/client.key}, default {@code ~/.shardmesh}), so encryption keys and
 * owner rights never leave this machine.
 */
final class ClientMesh implements AutoCloseable {

    private static final KademliaConfig DHT = KademliaConfig.defaults();
    private static final Clock CLOCK = Clock.systemUTC();

    private final CommandEventLoop loop = CommandEventLoop.create(0);
    final PeerChannels channels;
    final FilePut put;
    final FileGet get;
    final FileDelete delete;
    final NodeKey owner;
    /** The chunk calls the pipelines make, for the bench to time on their own. */
    final GrpcMesh mesh;
    private final GrpcDhtTransport transport;
    private final List<Contact> nodes;

    private ClientMesh(NodeKey owner, TransportSecurity security, List<Contact> nodes) {
        this.owner = owner;
        this.channels = new PeerChannels(loop.channels(security));
        this.nodes = List.copyOf(nodes);
        this.transport = new GrpcDhtTransport(channels, Optional::empty);
        this.mesh = new GrpcMesh(owner, () -> this.nodes, channels, new Directory(), ContactListener.NONE, CLOCK);
        this.put = new FilePut(mesh, TransferConfig.defaults(), Schedulers.parallel());
        this.get = new FileGet(mesh, TransferConfig.defaults(), Schedulers.parallel(), Schedulers.parallel());
        this.delete = new FileDelete(mesh, get);
    }

    /** Connects through {@code node}: asks it who it is and which peers it sees alive. */
    static ClientMesh connect(HostPort node, GlobalOptions global) {
        return connect(node, global.identity(), global.security());
    }

    /** Connects through {@code node} as {@code owner}, with {@code security}. */
    static ClientMesh connect(HostPort node, NodeKey owner, TransportSecurity security) {
        List<Contact> nodes = new ArrayList<>();
        try (NodeClient c = new NodeClient(node, security)) {
            nodes.add(Wire.contact(true, c.call("node", s -> s.node().status(StatusRequest.getDefaultInstance())).getNode(), "node"));
            for (var p : c.call("node", s -> s.node().listPeers(ListPeersRequest.getDefaultInstance())).getPeersList()) {
                if (p.getStatus() == PeerStatus.PEER_STATUS_ONLINE) {
                    nodes.add(Wire.contact(true, p.getContact(), "peer"));
                }
            }
        }
        return new ClientMesh(owner, security, nodes);
    }

    /**
     * The DHT as a client sees it: lookups that start from the nodes it learnt, and records it
     * signs and stores at the closest nodes once (a client is not there to republish them).
     */
    private final class Directory implements FileDirectory {
        @Override
        public Mono<List<DhtRecord>> records(ContentId fileId) {
            return Lookup.value(fileId, Optional.empty(), false, owner.id(), nodes, transport, DHT, CLOCK,
                            Schedulers.parallel(), ContactListener.NONE, c -> false)
                    .map(r -> r.records().stream().filter(rec -> rec.kind() != RecordKind.VALUE).toList());
        }

        @Override
        public Mono<Integer> publish(ContentId key, DhtRecord.Payload payload) {
            DhtRecord record = DhtRecord.sign(owner, key, payload, CLOCK.millis(), DHT.recordTtl());
            return Lookup.nodes(key, owner.id(), nodes, transport, DHT, CLOCK, Schedulers.parallel(), ContactListener.NONE, c -> false)
                    .flatMapMany(found -> Flux.fromIterable(found.closest()))
                    .flatMap(c -> transport.store(c, record, DHT.rpcTimeout()).map(stored -> 1).onErrorResume(e -> Mono.just(0)), 8)
                    .reduce(0, Integer::sum);
        }
    }

    /** The node among those this client learnt whose id is {@code id}, if any. */
    Optional<Contact> node(NodeId id) {
        return nodes.stream().filter(c -> c.id().equals(id)).findFirst();
    }

    /** The CLI's own key, made on first use. */
    static NodeKey ownerKey() {
        return NodeKeyFile.loadOrCreate(home(), "client.key");
    }

    /** The CLI's directory (key, shell history): $SHARDMESH_HOME, default ~/.shardmesh; created if missing. */
    static Path home() {
        String home = System.getProperty("shardmesh.home", System.getenv("SHARDMESH_HOME"));
        Path dir = home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".shardmesh");
        try {
            if (!Files.isDirectory(dir)) {
                // The client key and the shell history live here: the owner's alone.
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        return dir;
    }

    @Override
    public void close() {
        channels.close();
        loop.close();
    }
}
