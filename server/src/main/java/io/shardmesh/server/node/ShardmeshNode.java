package io.shardmesh.server.node;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.Kademlia;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.GrpcDhtTransport;
import io.shardmesh.common.grpc.GrpcMesh;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.tls.NodeCertificateFile;
import io.shardmesh.common.transfer.FileDelete;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.server.chunk.ChunkService;
import io.shardmesh.server.chunk.GarbageCollector;
import io.shardmesh.server.dht.DhtFileDirectory;
import io.shardmesh.server.dht.DhtService;
import io.shardmesh.server.dht.ProviderAnnouncer;
import io.shardmesh.server.dht.SelfAddress;
import io.shardmesh.server.files.FilesService;
import io.shardmesh.server.files.ManifestIndex;
import io.shardmesh.server.files.ManifestIndexer;
import io.shardmesh.server.grpc.NodeServer;
import io.shardmesh.server.grpc.NodeTransport;
import io.shardmesh.server.meta.MetadataDb;
import io.shardmesh.server.metrics.NodeMetrics;
import io.shardmesh.server.repair.SelfHealing;
import io.shardmesh.server.status.NodeStatus;
import io.shardmesh.server.status.NodeStatusSource;
import io.shardmesh.server.store.ChunkStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A running Shardmesh node, and its composition root: it wires identity, storage, the features
 * and the gRPC server (the mesh services, health and reflection on one port) over one data dir,
 * and holds no rules of its own.
 *
 * <pre>{@code
 * try (ShardmeshNode node = ShardmeshNode.builder(dataDir).listen(new HostPort("127.0.0.1", 0)).start()) {
 *     System.out.println(node.contact());
 * }
 * }</pre>
 *
 * <p>Tests pass their own transport ({@link NodeBuilder#transport}, e.g. the in-process one) and
 * their own clock and schedulers, so hours of garbage-collection grace pass in milliseconds.
 */
public final class ShardmeshNode implements AutoCloseable {

    /** The node's TLS certificate, kept beside node.key in the data dir ({@link NodeCertificateFile}). */
    public static final String CERTIFICATE_FILE = "node.crt";

    private final Logger log;
    private final NodeConfig config;
    private final NodeKey key;
    private final MetadataDb db;
    private final ChunkStore store;
    private final PeerChannels channels;
    private final ChunkService chunks;
    private final DhtService dht;
    private final FilesService files;
    private final NodeStatusSource status;
    private final SelfHealing healing;
    private final NodeServer server;
    private final HTTPServer metricsServer;
    private final Disposable gcTimer;
    private volatile Contact contact;
    private final Object closeLock = new Object();
    private boolean closed;

    ShardmeshNode(NodeBuilder b, NodeKey key, MetadataDb db, ChunkStore store) throws IOException {
        this.config = b.config;
        this.key = key;
        this.db = db;
        this.store = store;
        this.log = NodeLog.logger(ShardmeshNode.class, key.id());
        NodeTransport.Bound transport = b.transport.bind(key,
                () -> NodeCertificateFile.loadOrCreate(key, config.dataDir().resolve(CERTIFICATE_FILE), b.clock), b.clock);
        this.channels = new PeerChannels(transport.channels());
        this.chunks = ChunkService.create(store, db, config.chunks(), b.clock, b.timer, b.blocking, key.id());
        this.dht = new DhtService(key, this::contactOrUnavailable, config.dht(),
                new GrpcDhtTransport(channels, () -> Optional.ofNullable(contact)), db, b.clock, b.timer, b.blocking);
        GrpcMesh mesh = new GrpcMesh(key, dht::placementCandidates, channels,
                new DhtFileDirectory(dht.kademlia(), dht.publisher()), dht.kademlia().contactEvents(), b.clock);
        FileGet get = new FileGet(mesh, config.transfer(), b.cpu, b.timer);
        FileHealth health = new FileHealth(mesh);
        this.files = new FilesService(new FilePut(mesh, config.transfer(), b.cpu), get, new FileDelete(mesh, get),
                health, new ManifestIndex(db), dht.publisher(), key.id(), b.clock, b.blocking);
        this.healing = new SelfHealing(key.id(), mesh, chunks.pins(), chunks.reads(), get, health, config.repair(),
                config.transfer().manifestReplicas(), b.clock, b.cpu, b.repairTimer == null ? b.timer : b.repairTimer);
        store.onQuarantine(healing::quarantined);
        ProviderAnnouncer announcer = new ProviderAnnouncer(dht.publisher(), this::contactOrUnavailable,
                chunks.pins()::pinnedChunks, config.dht().kademlia(), log);
        ManifestIndexer indexer = new ManifestIndexer(chunks.pins(), chunks.reads(), new ManifestIndex(db), b.clock, b.blocking);
        chunks.pins().onPinsChanged(announcer::announce);
        chunks.pins().onPinsChanged(indexer::pinsChanged);
        this.status = new NodeStatusSource(this::contactOrUnavailable, this::listenAddress, version(), b.clock, chunks, dht,
                healing::status, transport.security());
        Optional<NodeMetrics> metrics = config.metrics().map(m -> new NodeMetrics(status));
        try {
            this.server = NodeServer.start(key.id(), transport, config.listen(), config.grpc(),
                    new NodeServer.Features(chunks, dht, files, status, healing, this::stopSoon), metrics, b.clock);
        } catch (IOException | RuntimeException e) {
            channels.close();
            throw e;
        }
        this.contact = SelfAddress.of(key.id(), config.listen(), config.advertise(), server.port(), log);
        try {
            this.metricsServer = metrics.isEmpty() ? null
                    : metrics.get().serve(config.metrics().get().host(), config.metrics().get().port());
        } catch (IOException | RuntimeException e) {
            server.stop(Duration.ZERO);
            channels.close();
            // Not an IOException: the builder would report it as the gRPC port failing.
            throw new IllegalStateException("cannot serve metrics on " + config.metrics().get() + ": " + e.getMessage(), e);
        }
        this.gcTimer = chunks.gc().start(b.timer);
        dht.start();
        healing.start();
        log.info("node {} listening on {} (advertised as {}), data dir {}", key.id(), server.listenAddress(),
                contact.address(), config.dataDir());
    }

    /** Starts building a node whose data lives in {@code dataDir} (created if missing). */
    public static NodeBuilder builder(Path dataDir) {
        return new NodeBuilder(dataDir);
    }

    /** The node's id. */
    public NodeId id() {
        return key.id();
    }

    /** How other nodes reach this one. */
    public Contact contact() {
        return contact;
    }

    /** The port the server is bound to (Netty transport), or -1. */
    public int port() {
        return server.port();
    }

    /** {@code host:port} the server is bound to, or {@code in-process}. */
    public String listenAddress() {
        return server.listenAddress();
    }

    /** The settings. */
    public NodeConfig config() {
        return config;
    }

    /** A status snapshot, as {@code Node.Status} reports it. */
    public Mono<NodeStatus> status() {
        return status.status();
    }

    /** The port of {@code /metrics}, when the node serves metrics. */
    public OptionalInt metricsPort() {
        return metricsServer == null ? OptionalInt.empty() : OptionalInt.of(metricsServer.getPort());
    }

    /** The node's Kademlia: its routing table, lookups and publishing. */
    public Kademlia kademlia() {
        return dht.kademlia();
    }

    /** Joins the mesh through {@code seeds} (a node joins its saved peers and bootstrap addresses by itself). */
    public Mono<Integer> join(List<HostPort> seeds) {
        return dht.kademlia().join(List.of(), seeds);
    }

    /** The node as a gateway for whole files: put, get, list, delete. */
    public FilesService files() {
        return files;
    }

    /** The chunks this node keeps pinned for {@code fileId} (what it announces for the file). */
    public Mono<List<ContentId>> pinnedChunks(ContentId fileId) {
        return chunks.pins().pinnedChunks(fileId);
    }

    /** The node's self-healing: repair checks, scrub and drain, as their schedules run them. */
    public SelfHealing repair() {
        return healing;
    }

    /** Stops the node from another thread (a drain that ends with a stop), once the current call is answered. */
    private void stopSoon() {
        Thread t = new Thread(this::close, "shardmesh-stop-after-drain");
        t.setDaemon(false);
        t.start();
    }

    /** Collects unpinned chunks past their grace period now, as the timer does. */
    public Mono<GarbageCollector.GcResult> collectGarbage() {
        return chunks.gc().collect();
    }

    private Contact contactOrUnavailable() {
        Contact c = contact;
        if (c == null) {
            throw MeshException.unavailable("node is still starting");
        }
        return c;
    }

    /** Blocks until the server has terminated (after {@link #close()} from elsewhere). */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /**
     * Stops gracefully: health turns NOT_SERVING, new calls are refused, calls in flight get
     * the shutdown grace to finish, then storage is closed.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        gcTimer.dispose();
        healing.close();
        dht.close();
        if (!server.stop(config.shutdownGrace())) {
            log.warn("calls still running after {}; cancelled them", config.shutdownGrace());
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        channels.close();
        store.close();
        db.close();
        log.info("node {} stopped", key.id());
    }

    /** The software version from the jar manifest, or {@code dev}. */
    public static String version() {
        String v = ShardmeshNode.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
