package io.shardmesh.cli;

import io.grpc.StatusRuntimeException;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.ContactListener;
import io.shardmesh.common.dht.DhtConfig;
import io.shardmesh.common.dht.Lookup;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.grpc.GrpcDhtTransport;
import io.shardmesh.common.grpc.GrpcMesh;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.grpc.Wire;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.common.transfer.TransferConfig;
import io.shardmesh.proto.v1.ListPeersRequest;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.PeerStatus;
import io.shardmesh.proto.v1.StatusRequest;
import io.shardmesh.server.identity.NodeKeyFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import reactor.core.scheduler.Schedulers;

/**
 * The command line as a client of the mesh (not a node): it learns the mesh from {@code --node}
 * (its contact and its live peers), then stores and fetches shards straight from the nodes that
 * hold them, with the same pipelines the nodes use. Files it stores are owned by the CLI's own
 * key ({@code $SHARDMESH_HOME/client.key}, default {@code ~/.shardmesh}), so encryption keys and
 * owner rights never leave this machine.
 */
final class ClientMesh implements AutoCloseable {

    final PeerChannels channels = new PeerChannels(PeerChannels.NETWORK);
    final FilePut put;
    final FileGet get;
    final NodeKey owner;
    final GrpcMesh mesh;
    final GrpcDhtTransport transport;
    final List<Contact> nodes;

    private ClientMesh(NodeKey owner, List<Contact> nodes) {
        this.owner = owner;
        this.nodes = List.copyOf(nodes);
        DhtConfig dht = DhtConfig.defaults();
        this.transport = new GrpcDhtTransport(channels, Optional::empty);
        this.mesh = new GrpcMesh(owner, () -> this.nodes, channels,
                fileId -> Lookup.value(fileId, Optional.empty(), false, owner.id(), this.nodes, transport, dht,
                                Clock.systemUTC(), Schedulers.parallel(), ContactListener.NONE, c -> false)
                        .map(r -> r.records().stream().filter(rec -> rec.kind() != RecordKind.VALUE).toList()),
                Clock.systemUTC());
        this.put = new FilePut(mesh, TransferConfig.defaults(), Schedulers.parallel());
        this.get = new FileGet(mesh, TransferConfig.defaults(), Schedulers.parallel());
    }

    /** Connects through {@code node}: asks it who it is and which peers it sees alive. */
    static ClientMesh connect(HostPort node) {
        List<Contact> nodes = new ArrayList<>();
        try (NodeConnection c = new NodeConnection(node)) {
            var stub = NodeGrpc.newBlockingStub(c.channel());
            var status = stub.withDeadlineAfter(NodeConnection.UNARY_DEADLINE.toSeconds(), TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance());
            nodes.add(Wire.contact(true, status.getSelf(), "self"));
            for (var p : stub.withDeadlineAfter(NodeConnection.UNARY_DEADLINE.toSeconds(), TimeUnit.SECONDS)
                    .listPeers(ListPeersRequest.getDefaultInstance()).getPeersList()) {
                if (p.getStatus() == PeerStatus.PEER_STATUS_ONLINE) {
                    nodes.add(Wire.contact(true, p.getContact(), "peer"));
                }
            }
        } catch (StatusRuntimeException e) {
            throw NodeConnection.failed(e, "node " + node);
        }
        return new ClientMesh(ownerKey(), nodes);
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
                Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        return dir;
    }

    @Override
    public void close() {
        channels.close();
    }
}
