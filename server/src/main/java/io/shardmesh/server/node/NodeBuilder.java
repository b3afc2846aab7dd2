package io.shardmesh.server.node;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.crypto.NodeKeyFile;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.server.grpc.NodeTransport;
import io.shardmesh.server.meta.MetadataDb;
import io.shardmesh.server.store.ChunkStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.UnaryOperator;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** Builds and starts a node: its settings, and the seams tests replace (transport, clock, schedulers). */
public final class NodeBuilder {

    NodeConfig config;
    NodeTransport transport = NodeTransport.network();
    Clock clock = Clock.systemUTC();
    Scheduler timer = Schedulers.parallel();
    /** Null: the timer. */
    Scheduler repairTimer;
    Scheduler cpu = Schedulers.parallel();
    Scheduler blocking = Schedulers.boundedElastic();

    NodeBuilder(Path dataDir) {
        this.config = NodeConfig.defaults(requireNonNull(dataDir, "dataDir"));
    }

    /** Changes the settings, e.g. {@code b.configure(c -> c.withMaxStorageBytes(1 << 30))}. */
    public NodeBuilder configure(UnaryOperator<NodeConfig> change) {
        this.config = requireNonNull(change.apply(config), "config");
        return this;
    }

    /** The address to bind; port 0 lets the OS pick (see {@link ShardmeshNode#port()}). */
    public NodeBuilder listen(HostPort address) {
        return configure(c -> c.withListen(address));
    }

    /** The address other nodes should dial, when it differs from the listen address (NAT, wildcard). */
    public NodeBuilder advertise(HostPort address) {
        return configure(c -> c.withAdvertise(address));
    }

    /** How the node serves and reaches peers (tests: the in-process transport). */
    public NodeBuilder transport(NodeTransport transport) {
        this.transport = requireNonNull(transport, "transport");
        return this;
    }

    /** Wall-clock time (record times, grace periods). */
    public NodeBuilder clock(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
        return this;
    }

    /** Where delays and periodic work (garbage collection, DHT timers) are scheduled. */
    public NodeBuilder timerScheduler(Scheduler scheduler) {
        this.timer = requireNonNull(scheduler, "scheduler");
        return this;
    }

    /**
     * Where the repair and scrub schedules wait, when not on the {@link #timerScheduler} (tests
     * jump these minutes-long schedules on virtual time while reads and lookups keep real timers).
     */
    public NodeBuilder repairScheduler(Scheduler scheduler) {
        this.repairTimer = requireNonNull(scheduler, "scheduler");
        return this;
    }

    /** Where disk and database work runs. */
    public NodeBuilder blockingScheduler(Scheduler scheduler) {
        this.blocking = requireNonNull(scheduler, "scheduler");
        return this;
    }

    /** Where hashing, Reed-Solomon and encryption run. */
    public NodeBuilder cpuScheduler(Scheduler scheduler) {
        this.cpu = requireNonNull(scheduler, "scheduler");
        return this;
    }

    /** Opens storage and starts serving. */
    public ShardmeshNode start() throws IOException {
        Files.createDirectories(config.dataDir());
        NodeKey key = NodeKeyFile.loadOrCreate(config.dataDir());
        MetadataDb db = MetadataDb.open(config.dataDir(), key.id());
        ChunkStore store = null;
        try {
            store = ChunkStore.open(config.dataDir(), config.maxStorageBytes(), key.id());
            return new ShardmeshNode(this, key, db, store);
        } catch (IOException | RuntimeException e) {
            if (store != null) {
                store.close();
            }
            db.close();
            if (e instanceof IOException io) {
                throw new IOException("cannot listen on " + config.listen() + ": " + io.getMessage(), io);
            }
            throw e;
        }
    }
}
