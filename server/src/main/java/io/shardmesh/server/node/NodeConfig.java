package io.shardmesh.server.node;

import static java.util.Objects.requireNonNull;

import io.shardmesh.server.chunk.ChunkConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A node's settings.
 *
 * @param dataDir where the key, chunks and database live
 * @param listenHost address the gRPC server binds ({@code 0.0.0.0} for all)
 * @param listenPort port it binds; 0 lets the OS pick
 * @param advertiseHost address other nodes dial; null: derived from the listen address
 * @param advertisePort port other nodes dial; 0: the bound port
 * @param maxStorageBytes chunk store quota; 0 means unlimited
 * @param chunks chunk handling
 * @param shutdownGrace how long in-flight calls may finish on shutdown
 * @param maxCallDuration the deadline of a call that comes without one
 */
public record NodeConfig(Path dataDir, String listenHost, int listenPort, String advertiseHost, int advertisePort,
                         long maxStorageBytes, ChunkConfig chunks, Duration shutdownGrace, Duration maxCallDuration) {

    public static final String DEFAULT_LISTEN_HOST = "127.0.0.1";
    public static final int DEFAULT_LISTEN_PORT = 7070;
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

    public NodeConfig {
        requireNonNull(dataDir, "dataDir");
        requireNonNull(listenHost, "listenHost");
        requireNonNull(chunks, "chunks");
        requireNonNull(shutdownGrace, "shutdownGrace");
        requireNonNull(maxCallDuration, "maxCallDuration");
        if (maxCallDuration.isNegative() || maxCallDuration.isZero()) {
            throw new IllegalArgumentException("the longest call must be positive, got " + maxCallDuration);
        }
        if (listenPort < 0 || listenPort > 65535) {
            throw new IllegalArgumentException("listen port must be 0..65535, got " + listenPort);
        }
        if (advertisePort < 0 || advertisePort > 65535) {
            throw new IllegalArgumentException("advertise port must be 0..65535, got " + advertisePort);
        }
        if (maxStorageBytes < 0) {
            throw new IllegalArgumentException("max storage must be 0 (unlimited) or positive, got " + maxStorageBytes);
        }
    }
}
