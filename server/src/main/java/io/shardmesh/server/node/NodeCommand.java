package io.shardmesh.server.node;

import io.shardmesh.common.cli.DurationConverter;
import io.shardmesh.common.cli.HostPortConverter;
import io.shardmesh.common.cli.LogOptions;
import io.shardmesh.common.cli.SizeConverter;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.units.Sizes;
import io.shardmesh.server.chunk.ChunkConfig;
import io.shardmesh.server.grpc.GrpcServerConfig;
import io.shardmesh.server.grpc.NodeTransport;
import io.shardmesh.server.repair.RepairConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code shardmesh node}: runs one node in the foreground until SIGTERM or Ctrl-C. */
@Command(name = "node", mixinStandardHelpOptions = true, versionProvider = NodeCommand.Version.class,
        description = "Run one Shardmesh node in the foreground until SIGTERM or Ctrl-C.",
        footer = {"", "Example:",
            "  shardmesh node --listen 127.0.0.1:7070 --data-dir ~/.shardmesh/node1",
            "  shardmesh node --listen 127.0.0.1:7071 --data-dir ~/.shardmesh/node2 --bootstrap 127.0.0.1:7070",
            "  shardmesh node --listen 0.0.0.0:7070 --advertise 203.0.113.7:7070 --data-dir /var/lib/shardmesh --max-storage 50GiB",
            "  shardmesh node --data-dir ./n1 --metrics 127.0.0.1:9464   (then: curl 127.0.0.1:9464/metrics)",
            "  shardmesh node --data-dir ./n1 --repair-interval 2s --repair-delay 4s   (repair fast, for a demo)",
            "  shardmesh node drain --node 127.0.0.1:7070   (move this node's shards away, then stop it)"})
public final class NodeCommand implements Callable<Integer> {

    /**
     * reactor-grpc completes a unary call whose client already cancelled (a hedged fetch that
     * lost, a lookup that finished) without a response, and grpc-java logs each one as a
     * WARNING "internal error". They are routine here; held strongly, as JUL keeps loggers weakly.
     */
    private static final java.util.logging.Logger SERVER_CALL_LOG =
            java.util.logging.Logger.getLogger("io.grpc.internal.ServerCallImpl");

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions log;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = NodeConfig.DEFAULT_LISTEN_ADDRESS,
            converter = HostPortConverter.class,
            description = "Address to serve gRPC on; port 0 lets the OS pick (default: ${DEFAULT-VALUE}).")
    HostPort listen;

    // Not picocli-required: `node drain` is a subcommand, and picocli would demand the parent's
    // required options there too. Checked in call().
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where the node keeps its key, chunks and database (created if missing). Required.")
    Path dataDir;

    @Option(names = "--advertise", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Address other nodes should dial, if not the listen address (NAT, 0.0.0.0).")
    HostPort advertise;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "A node to join the mesh through (repeat for several). Not needed after the first"
                    + " start: a node rejoins the peers it saved.")
    List<HostPort> bootstrap = new ArrayList<>();

    @Option(names = "--max-storage", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "0",
            description = "Storage quota for chunks, like 10GiB; 0 means unlimited (default).")
    long maxStorage;

    @Option(names = "--metrics", paramLabel = "HOST:PORT", converter = HostPortConverter.class,
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (off by default).")
    HostPort metrics;

    @Option(names = "--repair-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "10m",
            description = "How often the node checks the files it holds shards of, like 30s or 10m (default: ${DEFAULT-VALUE}).")
    Duration repairInterval;

    @Option(names = "--repair-delay", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "15m",
            description = "How long a shard may be missing before its stripe is repaired, so a reboot does not trigger"
                    + " repair; a stripe left with only k shards, or with two or more missing and at most k + 1 left,"
                    + " is repaired at once (default: ${DEFAULT-VALUE}).")
    Duration repairDelay;

    @Option(names = "--repair-concurrency", paramLabel = "N", defaultValue = "2",
            description = "Stripes this node repairs at once (default: ${DEFAULT-VALUE}).")
    int repairConcurrency;

    @Option(names = "--repair-rate", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "40MB",
            description = "Repair traffic per second this node may move (fetched plus written), like 40MB;"
                    + " 0 for no bound (default: ${DEFAULT-VALUE}).")
    long repairRate;

    @Option(names = "--scrub-rate", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "4MB",
            description = "How fast the scrub re-hashes stored shards to find bit rot, per second; 0 turns it off"
                    + " (default: ${DEFAULT-VALUE}).")
    long scrubRate;

    @Option(names = "--scrub-pause", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "1h",
            description = "Pause between two scrub passes over the whole store (default: ${DEFAULT-VALUE}).")
    Duration scrubPause;

    @Option(names = "--lookup-cache", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "30s",
            description = "How long a DHT lookup's records serve reads of the same file or Kv key before the next"
                    + " lookup; a record published through another node is seen at most this late; 0 turns the"
                    + " cache off (default: ${DEFAULT-VALUE}).")
    Duration lookupCache;

    @Option(names = "--peer-store-rate", paramLabel = "N", defaultValue = "200",
            description = "Dht.Store calls one caller (a verified node id, else an IP address) may make a second, with ten"
                    + " seconds' worth saved up; beyond: RESOURCE_EXHAUSTED with a retry hint (default: ${DEFAULT-VALUE}).")
    double peerStoreRate;

    @Option(names = "--peer-lookup-rate", paramLabel = "N", defaultValue = "2000",
            description = "Dht.FindNode and FindValue calls one caller may make a second, likewise (default: ${DEFAULT-VALUE}).")
    double peerLookupRate;

    @Option(names = "--peer-chunk-rate", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "1GB",
            description = "Chunk bytes served to one caller a second, likewise; a stream under way is never cut"
                    + " (default: ${DEFAULT-VALUE}).")
    long peerChunkRate;

    @Option(names = "--plaintext",
            description = "Serve and call peers without TLS: for a mesh behind TLS-terminating proxies or on a network"
                    + " secured by other means. Nothing is encrypted and no node's identity is checked; every node of"
                    + " the mesh (and the CLI, with its own --plaintext) must use it. Node.Status says so.")
    boolean plaintext;

    /** Hidden: tests (and operators who know why) shorten how long unpinned chunks are kept. */
    @Option(names = "--gc-grace-seconds", hidden = true, paramLabel = "SECONDS",
            description = "Keep an unpinned chunk this long after it arrived (default: 3600).")
    long gcGraceSeconds = ChunkConfig.DEFAULT_GC_GRACE.toSeconds();

    @Option(names = "--gc-interval-seconds", hidden = true, paramLabel = "SECONDS",
            description = "Run garbage collection this often (default: 600).")
    long gcIntervalSeconds = ChunkConfig.DEFAULT_GC_INTERVAL.toSeconds();

    @Override
    public Integer call() throws Exception {
        SERVER_CALL_LOG.setLevel(java.util.logging.Level.SEVERE);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (dataDir == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--data-dir=DIR'");
        }
        NodeBuilder b = ShardmeshNode.builder(dataDir);
        if (plaintext) {
            b.transport(NodeTransport.plaintext());
        }
        try {
            b.configure(c -> {
                NodeConfig n = c.withListen(listen).withMaxStorageBytes(maxStorage).withBootstrap(bootstrap)
                        .withChunks(c.chunks().withGcGrace(Duration.ofSeconds(gcGraceSeconds))
                                .withGcInterval(Duration.ofSeconds(gcIntervalSeconds)))
                        .withRepair(new RepairConfig(repairInterval, repairDelay, repairConcurrency, repairRate, scrubRate,
                                scrubPause));
                n = n.withDht(n.dht().withKademlia(n.dht().kademlia().withLookupCache(lookupCache)));
                n = n.withGrpc(n.grpc().withPeerRates(new GrpcServerConfig.PeerRates(peerStoreRate, peerLookupRate, peerChunkRate,
                        GrpcServerConfig.PeerRates.DEFAULT_BURST)));
                n = advertise == null ? n : n.withAdvertise(advertise);
                return metrics == null ? n : n.withMetrics(metrics);
            });
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        ShardmeshNode node;
        try {
            node = b.start();
        } catch (Exception e) {
            err.println("shardmesh node: " + e.getMessage());
            err.flush();
            return 1;
        }
        NodeLog.setProcessNode(node.id());
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "shardmesh-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // One stable line on stdout: scripts and tests read the id and the bound port from it.
        out.printf("shardmesh node %s listening on %s (advertised %s), data dir %s, quota %s%n",
                node.id(), node.listenAddress(), node.contact().address(), dataDir,
                maxStorage == 0 ? "unlimited" : Sizes.format(maxStorage));
        node.metricsPort().ifPresent(p -> out.printf("metrics at http://%s/metrics%n", new HostPort(metrics.host(), p)));
        if (plaintext) {
            err.println("shardmesh node: --plaintext: connections to and from this node are neither encrypted nor authenticated");
            err.flush();
        }
        out.flush();
        node.awaitTermination();
        stopped.await();
        return 0;
    }

    /** Prints the version. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"shardmesh " + ShardmeshNode.version()};
        }
    }
}
