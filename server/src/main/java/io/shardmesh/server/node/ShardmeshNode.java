package io.shardmesh.server.node;

import static java.util.Objects.requireNonNull;

import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.dht.RecordKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.grpc.GrpcDhtTransport;
import io.shardmesh.common.grpc.GrpcMesh;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.transfer.FileGet;
import io.shardmesh.common.transfer.FilePut;
import io.shardmesh.common.transfer.TransferConfig;
import io.shardmesh.server.chunk.ChunkConfig;
import io.shardmesh.server.chunk.ChunkService;
import io.shardmesh.server.dht.DhtService;
import io.shardmesh.server.dht.DhtSettings;
import io.shardmesh.server.files.FilesService;
import io.shardmesh.server.files.ManifestIndex;
import io.shardmesh.server.grpc.CallerAddress;
import io.shardmesh.server.grpc.ChunksGrpcService;
import io.shardmesh.server.grpc.DhtGrpcService;
import io.shardmesh.server.grpc.FilesGrpcService;
import io.shardmesh.server.grpc.KvGrpcService;
import io.shardmesh.server.grpc.MalformedRequests;
import io.shardmesh.server.grpc.NodeGrpcService;
import io.shardmesh.server.grpc.ServerSettings;
import io.shardmesh.server.identity.NodeKeyFile;
import io.shardmesh.server.meta.MetadataDb;
import io.shardmesh.server.metrics.NodeMetrics;
import io.shardmesh.server.store.ChunkStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A running Shardmesh node: a gRPC server (the mesh services, health and reflection on one
 * port) over a chunk store and a metadata database in one data dir.
 *
 * <pre>{@code
 * try (ShardmeshNode node = ShardmeshNode.builder(dataDir).listen("127.0.0.1", 0).start()) {
 *     System.out.println(node.contact());
 * }
 * }</pre>
 *
 * <p>Tests pass their own transport with {@link Builder#serverBuilder} (the in-process one)
 * and their own clock and schedulers, so hours of garbage-collection grace pass in milliseconds.
 */
public final class ShardmeshNode implements AutoCloseable {

    private static final Logger processLog = NodeLog.logger(ShardmeshNode.class);
    private final Logger log;
    private final HTTPServer metricsServer;

    private final NodeConfig config;
    private final NodeKey key;
    private final Server server;
    private final HealthStatusManager health;
    private final MetadataDb db;
    private final ChunkStore store;
    private final ChunkService chunks;
    private final DhtService dht;
    private final FilePut filePut;
    private final FileGet fileGet;
    private final FilesService files;
    private final PeerChannels channels;
    private final Clock clock;
    private final long startedAtUnixMs;
    private final String listenAddress;
    private volatile Contact contact;
    /** The port bound at start; still answers after close. */
    private final int port;
    private final List<Disposable> timers = new ArrayList<>();
    private final Object closeLock = new Object();
    private boolean closed;

    private ShardmeshNode(Builder b, NodeConfig config, NodeKey key, MetadataDb db, ChunkStore store,
                          ChunkService chunks) throws IOException {
        this.config = config;
        this.key = key;
        this.log = NodeLog.logger(ShardmeshNode.class, key.id());
        this.db = db;
        this.store = store;
        this.chunks = chunks;
        this.clock = b.clock;
        this.health = new HealthStatusManager();
        this.channels = new PeerChannels(b.channelFactory);
        GrpcDhtTransport transport = new GrpcDhtTransport(channels, () -> Optional.ofNullable(contact));
        this.dht = new DhtService(key, this::contactOrUnavailable, b.dhtSettings, transport, db, clock,
                b.timerScheduler, b.blockingScheduler);
        // A holder announces, per file, every chunk it has pinned under it: one provider record
        // per file, never per shard (DESIGN.md, "Locations are announced per file").
        chunks.onPinsChanged(fileId -> chunks.pinnedChunks(fileId).flatMap(held -> held.isEmpty()
                ? dht.unpublishOwn(fileId, RecordKind.PROVIDER)
                : dht.publishOwn(fileId, new DhtRecord.Provider(contactOrUnavailable(),
                                announceable(fileId, held, b.dhtSettings.kademlia().maxChunkIdsPerProvider())),
                        b.dhtSettings.kademlia().recordTtl()).then()));
        GrpcMesh mesh = new GrpcMesh(key, this::placementCandidates, channels,
                fileId -> dht.kademlia().lookupValue(fileId, Optional.empty(), false)
                        .map(r -> r.records().stream().filter(rec -> rec.kind() != RecordKind.VALUE).toList()),
                clock);
        this.filePut = new FilePut(mesh, b.transferConfig, Schedulers.parallel());
        this.fileGet = new FileGet(mesh, b.transferConfig, Schedulers.parallel());
        this.files = new FilesService(filePut, fileGet, mesh, new ManifestIndex(db), dht, key, clock, b.blockingScheduler);
        // A node that keeps a file's manifest lists the file (Files.List).
        chunks.onPinsChanged(fileId -> chunks.pinnedChunks(fileId)
                .filter(held -> held.contains(fileId))
                .flatMap(held -> chunks.readWhole(fileId))
                .flatMap(bytes -> Mono.fromRunnable(() -> files.indexHeld(fileId, bytes)).subscribeOn(b.blockingScheduler))
                .then());

        ServerBuilder<?> sb = b.serverBuilder != null ? b.serverBuilder
                : NettyServerBuilder.forAddress(new InetSocketAddress(config.listenHost(), config.listenPort()),
                        InsecureServerCredentials.create());
        ServerSettings.apply(sb, config.maxCallDuration());
        sb.intercept(new CallerAddress());
        NodeMetrics metrics = b.metrics == null ? null
                : new NodeMetrics(() -> status().block(Duration.ofSeconds(5)));
        if (metrics != null) {
            sb.intercept(metrics.interceptor());
        }
        List<BindableService> services = List.of(
                new ChunksGrpcService(chunks),
                new DhtGrpcService(dht.kademlia()),
                new KvGrpcService(dht),
                new FilesGrpcService(files),
                new NodeGrpcService(this::status, dht));
        services.forEach(s -> sb.addService(MalformedRequests.refuse(s.bindService())));
        sb.addService(health.getHealthService());
        sb.addService(ProtoReflectionServiceV1.newInstance());
        // v1alpha too: older grpcurl and buf releases only speak that one.
        @SuppressWarnings("deprecation")
        BindableService alpha = ProtoReflectionService.newInstance();
        sb.addService(alpha);
        try {
            this.server = sb.build().start();
        } catch (IOException | RuntimeException e) {
            channels.close();
            throw e;
        }

        int boundPort = boundPort(server);
        this.port = boundPort;
        this.listenAddress = b.serverBuilder != null ? "in-process" : hostPort(config.listenHost(), boundPort);
        String advertiseHost = config.advertiseHost() != null ? config.advertiseHost() : advertisedHost(config.listenHost());
        int advertisePort = config.advertisePort() != 0 ? config.advertisePort() : boundPort;
        this.contact = new Contact(key.id(), advertiseHost, advertisePort > 0 ? advertisePort : 1);
        this.startedAtUnixMs = clock.millis();
        if (metrics != null) {
            try {
                this.metricsServer = metrics.serve(b.metrics.host(), b.metrics.port());
            } catch (IOException | RuntimeException e) {
                server.shutdownNow();
                try {
                    server.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                channels.close();
                // Not an IOException: the builder would report it as the gRPC port failing.
                throw new IllegalStateException("cannot serve metrics on " + b.metrics + ": " + e.getMessage(), e);
            }
        } else {
            this.metricsServer = null;
        }

        for (BindableService s : services) {
            health.setStatus(s.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
        }
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);

        Duration gcEvery = config.chunks().gcInterval();
        timers.add(Flux.interval(gcEvery, gcEvery, b.timerScheduler)
                .onBackpressureDrop()
                .concatMap(t -> chunks.collectGarbage()
                        .onErrorResume(e -> {
                            log.warn("garbage collection failed: {}", e.getMessage());
                            return Mono.empty();
                        }), 1)
                .subscribe(r -> { }, e -> log.error("garbage collection timer stopped", e)));
        dht.start();
        log.info("node {} listening on {} (advertised as {}), data dir {}", key.id(), listenAddress,
                contact.address(), config.dataDir());
    }

    /** Starts building a node whose data lives in {@code dataDir} (created if missing). */
    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** The node's id. */
    public NodeId id() {
        return key.id();
    }

    /** The node's key (it signs records and owner proofs). */
    public NodeKey key() {
        return key;
    }

    /** How other nodes reach this one. */
    public Contact contact() {
        return contact;
    }

    /** The port the server is bound to (Netty transport), or -1. */
    public int port() {
        return port;
    }

    /** {@code host:port} the server is bound to, or {@code in-process}. */
    public String listenAddress() {
        return listenAddress;
    }

    /** The settings. */
    public NodeConfig config() {
        return config;
    }

    /** The chunk feature (tests drive garbage collection through it). */
    public ChunkService chunks() {
        return chunks;
    }

    /** The DHT (Kv, peers, and the Kademlia inside). */
    public DhtService dht() {
        return dht;
    }

    /**
     * What a provider record can list: the manifest first (readers need it to find anything),
     * then shards up to the record limit. Shards past it are found by the placement rule.
     */
    private List<ContentId> announceable(ContentId fileId, List<ContentId> held, int max) {
        List<ContentId> out = new ArrayList<>(Math.min(held.size(), max));
        if (held.contains(fileId)) {
            out.add(fileId);
        }
        for (ContentId c : held) {
            if (out.size() >= max) {
                log.warn("file {}: this node holds {} of its chunks; announcing {} (the provider record limit)",
                        fileId, held.size(), max);
                break;
            }
            if (!c.equals(fileId)) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Every node in the routing table, ourselves included: where a put may place shards. One
     * that missed a call is not left out (that would crowd a stripe onto fewer nodes); if it is
     * really down, the upload fails over to the next node and it sits out a cooldown.
     */
    private List<Contact> placementCandidates() {
        List<Contact> all = new ArrayList<>();
        for (var e : dht.kademlia().table().entries()) {
            all.add(e.contact());
        }
        all.add(contactOrUnavailable());
        return all;
    }

    /** The node's files (the Files service's feature). */
    public FilesService files() {
        return files;
    }

    /** The put pipeline, as the node runs it for Files.Put. */
    public FilePut filePut() {
        return filePut;
    }

    /** The get pipeline, as the node runs it for Files.Get. */
    public FileGet fileGet() {
        return fileGet;
    }

    private Contact contactOrUnavailable() {
        Contact c = contact;
        if (c == null) {
            throw MeshException.unavailable("node is still starting");
        }
        return c;
    }

    /** A status snapshot. */
    public Mono<NodeStatus> status() {
        return Mono.zip(chunks.pinnedFiles(), dht.recordCount()).map(t -> {
            ChunkStore.StoreStats s = chunks.stats();
            long now = clock.millis();
            var table = dht.kademlia().table();
            return new NodeStatus(contact, listenAddress, version(), startedAtUnixMs, now - startedAtUnixMs,
                    s.chunks(), s.bytes(), s.maxBytes(), t.getT1(), table.size(), table.buckets(), t.getT2());
        });
    }

    /** The port of {@code /metrics}, when the node serves metrics. */
    public OptionalInt metricsPort() {
        return metricsServer == null ? OptionalInt.empty() : OptionalInt.of(metricsServer.getPort());
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
        health.enterTerminalState();
        timers.forEach(Disposable::dispose);
        dht.close();
        server.shutdown();
        try {
            if (!server.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("calls still running after {}; cancelling them", config.shutdownGrace());
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
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

    private static int boundPort(Server server) {
        for (SocketAddress a : server.getListenSockets()) {
            if (a instanceof InetSocketAddress inet) {
                return inet.getPort();
            }
        }
        return -1;
    }

    private static String hostPort(String host, int port) {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** A wildcard listen address is not dialable; advertise this host's address instead. */
    private static String advertisedHost(String listenHost) {
        if (!listenHost.equals("0.0.0.0") && !listenHost.equals("::") && !listenHost.equals("[::]")) {
            return listenHost;
        }
        try {
            return InetAddress.getLocalHost().getHostAddress();
        } catch (UnknownHostException e) {
            processLog.warn("cannot find this host's address to advertise; using 127.0.0.1 (set --advertise)");
            return "127.0.0.1";
        }
    }

    /** Builds and starts a node. */
    public static final class Builder {

        private final Path dataDir;
        private String listenHost = NodeConfig.DEFAULT_LISTEN_HOST;
        private int listenPort = NodeConfig.DEFAULT_LISTEN_PORT;
        private String advertiseHost;
        private int advertisePort;
        private long maxStorageBytes;
        private ChunkConfig chunkConfig = ChunkConfig.defaults();
        private Duration shutdownGrace = NodeConfig.DEFAULT_SHUTDOWN_GRACE;
        private Duration maxCallDuration = ServerSettings.DEFAULT_MAX_CALL_DURATION;
        private ServerBuilder<?> serverBuilder;
        private Clock clock = Clock.systemUTC();
        private Scheduler timerScheduler = Schedulers.parallel();
        private Scheduler blockingScheduler = Schedulers.boundedElastic();
        private DhtSettings dhtSettings = DhtSettings.defaults();
        private PeerChannels.Factory channelFactory = PeerChannels.NETWORK;
        private TransferConfig transferConfig = TransferConfig.defaults();
        private HostPort metrics;

        private Builder(Path dataDir) {
            this.dataDir = requireNonNull(dataDir, "dataDir");
        }

        /** The address to bind; port 0 lets the OS pick (see {@link ShardmeshNode#port()}). */
        public Builder listen(String host, int port) {
            this.listenHost = requireNonNull(host, "host");
            this.listenPort = port;
            return this;
        }

        /** Serve Prometheus metrics at {@code http://host:port/metrics} (port 0: the OS picks). */
        public Builder metrics(HostPort address) {
            this.metrics = requireNonNull(address, "address");
            return this;
        }

        /** The address other nodes should dial, when it differs from the listen address (NAT, wildcard). */
        public Builder advertise(String host, int port) {
            this.advertiseHost = requireNonNull(host, "host");
            this.advertisePort = port;
            return this;
        }

        /** The chunk store quota in bytes; 0 (the default) means unlimited. */
        public Builder maxStorageBytes(long bytes) {
            this.maxStorageBytes = bytes;
            return this;
        }

        public Builder chunkConfig(ChunkConfig config) {
            this.chunkConfig = requireNonNull(config, "config");
            return this;
        }

        public Builder shutdownGrace(Duration grace) {
            this.shutdownGrace = requireNonNull(grace, "grace");
            return this;
        }

        /** The deadline the node gives a call that comes without one (default one hour). */
        public Builder maxCallDuration(Duration max) {
            this.maxCallDuration = requireNonNull(max, "max");
            return this;
        }

        /**
         * The transport seam: a server builder to use instead of Netty on the listen address
         * (tests pass {@code InProcessServerBuilder.forName(...)}). Give an advertise address too.
         */
        public Builder serverBuilder(ServerBuilder<?> builder) {
            this.serverBuilder = requireNonNull(builder, "builder");
            return this;
        }

        /** DHT settings: Kademlia parameters, bootstrap peers, gossip and maintenance intervals. */
        public Builder dhtSettings(DhtSettings settings) {
            this.dhtSettings = requireNonNull(settings, "settings");
            return this;
        }

        /** Peers to join through (several allowed); without any, a node rejoins the peers it saved. */
        public Builder bootstrap(List<HostPort> peers) {
            this.dhtSettings = dhtSettings.withBootstrap(peers);
            return this;
        }

        /** How channels to other nodes are made (tests route them to in-process servers). */
        public Builder channelFactory(PeerChannels.Factory factory) {
            this.channelFactory = requireNonNull(factory, "factory");
            return this;
        }

        /** Put and get pipeline settings (look-ahead window, hedging). */
        public Builder transferConfig(TransferConfig config) {
            this.transferConfig = requireNonNull(config, "config");
            return this;
        }

        /** Wall-clock time (record times, grace periods). */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** Where periodic work (garbage collection, later DHT refresh) is scheduled. */
        public Builder timerScheduler(Scheduler scheduler) {
            this.timerScheduler = requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Where disk and database work runs. */
        public Builder blockingScheduler(Scheduler scheduler) {
            this.blockingScheduler = requireNonNull(scheduler, "scheduler");
            return this;
        }

        /** Opens storage and starts serving. */
        public ShardmeshNode start() throws IOException {
            NodeConfig config = new NodeConfig(dataDir, listenHost, listenPort, advertiseHost, advertisePort,
                    maxStorageBytes, chunkConfig, shutdownGrace, maxCallDuration);
            Files.createDirectories(dataDir);
            NodeKey key = NodeKeyFile.loadOrCreate(dataDir);
            MetadataDb db = MetadataDb.open(dataDir, key.id());
            ChunkStore store;
            try {
                store = ChunkStore.open(dataDir, maxStorageBytes, key.id());
            } catch (RuntimeException e) {
                db.close();
                throw e;
            }
            ChunkService chunks = new ChunkService(store, db, chunkConfig, clock, blockingScheduler, key.id());
            try {
                return new ShardmeshNode(this, config, key, db, store, chunks);
            } catch (IOException | RuntimeException e) {
                store.close();
                db.close();
                if (e instanceof IOException io) {
                    throw new IOException("cannot listen on " + hostPort(listenHost, listenPort) + ": " + io.getMessage(), io);
                }
                throw e;
            }
        }
    }
}
