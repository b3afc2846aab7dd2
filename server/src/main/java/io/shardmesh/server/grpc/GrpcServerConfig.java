package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.FilesGrpc;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * How a node's gRPC server treats its callers, whatever the transport. The protocol's own limits
 * (message and frame sizes, keepalive) are in {@link ProtocolLimits}; these are the node's.
 *
 * @param maxCallDuration the deadline a call that comes without one gets, and the furthest a
 *     caller's deadline may be: long enough for a large file at a slow pace, short of the
 *     connection age, so a caller that goes quiet cannot hold a stream open for good
 * @param maxChunkStreams GetChunk streams in progress at once, node-wide: each may hold a
 *     frame in the transport for a caller that does not read, so this bounds that memory. A
 *     reader keeps about a dozen streams open, so this serves many readers at once
 * @param maxFileReads Files.Get streams in progress at once, node-wide: each runs a whole read
 *     pipeline here (a window of stripes in flight), so a crowd of gateway readers could exhaust the
 *     heap without it. Readers that fetch shards themselves (the CLI) do not count
 * @param maxCallsPerConnection enough for a client fanning out a thousand shard streams on one connection
 * @param maxConnectionIdle an idle connection is closed after this
 * @param maxConnectionAge connections are recycled now and then ...
 * @param maxConnectionAgeGrace ... with a long grace, so transfers in flight finish
 * @param handshakeTimeout a connection must finish its handshake within this
 * @param peerRates what one caller may ask of the node ({@link PeerLimits})
 */
public record GrpcServerConfig(Duration maxCallDuration, int maxChunkStreams, int maxFileReads, int maxCallsPerConnection,
                               Duration maxConnectionIdle, Duration maxConnectionAge, Duration maxConnectionAgeGrace,
                               Duration handshakeTimeout, PeerRates peerRates) {

    /**
     * Token-bucket rates per caller (its verified node id, else its IP address), each with
     * {@code burst} worth saved up. Far above what an honest node or client asks (a node
     * stores a few records a minute, a lookup asks each peer once, a reader fetches at disk
     * speed), so they bind only a peer that floods.
     *
     * @param storesPerSecond Dht.Store calls
     * @param lookupsPerSecond Dht.FindNode and Dht.FindValue calls
     * @param chunkBytesPerSecond bytes of Chunks.GetChunk served
     */
    public record PeerRates(double storesPerSecond, double lookupsPerSecond, long chunkBytesPerSecond, Duration burst) {
        public static final double DEFAULT_STORES_PER_SECOND = 200;
        public static final double DEFAULT_LOOKUPS_PER_SECOND = 2_000;
        public static final long DEFAULT_CHUNK_BYTES_PER_SECOND = 1_000_000_000L;
        public static final Duration DEFAULT_BURST = Duration.ofSeconds(10);

        public PeerRates {
            requireNonNull(burst, "burst");
            if (!(storesPerSecond > 0) || !(lookupsPerSecond > 0) || chunkBytesPerSecond < 1 || burst.toMillis() < 1000) {
                throw new IllegalArgumentException("peer rates must be positive and the burst at least a second, got "
                        + storesPerSecond + ", " + lookupsPerSecond + ", " + chunkBytesPerSecond + ", " + burst);
            }
        }

        public static PeerRates defaults() {
            return new PeerRates(DEFAULT_STORES_PER_SECOND, DEFAULT_LOOKUPS_PER_SECOND, DEFAULT_CHUNK_BYTES_PER_SECOND,
                    DEFAULT_BURST);
        }
    }

    public static final Duration DEFAULT_MAX_CALL_DURATION = Duration.ofHours(1);
    public static final int DEFAULT_MAX_CHUNK_STREAMS = 128;
    public static final int DEFAULT_MAX_FILE_READS = 16;
    public static final int DEFAULT_MAX_CALLS_PER_CONNECTION = 2048;
    public static final Duration DEFAULT_MAX_CONNECTION_IDLE = Duration.ofMinutes(30);
    public static final Duration DEFAULT_MAX_CONNECTION_AGE = Duration.ofHours(2);
    public static final Duration DEFAULT_MAX_CONNECTION_AGE_GRACE = Duration.ofMinutes(30);
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    public GrpcServerConfig {
        for (Duration d : new Duration[] {requireNonNull(maxCallDuration, "maxCallDuration"),
            requireNonNull(maxConnectionIdle, "maxConnectionIdle"), requireNonNull(maxConnectionAge, "maxConnectionAge"),
            requireNonNull(maxConnectionAgeGrace, "maxConnectionAgeGrace"), requireNonNull(handshakeTimeout, "handshakeTimeout")}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("gRPC server durations must be positive, got " + d);
            }
        }
        requireNonNull(peerRates, "peerRates");
        if (maxChunkStreams < 1 || maxFileReads < 1 || maxCallsPerConnection < 1) {
            throw new IllegalArgumentException("stream and call limits must be positive, got " + maxChunkStreams
                    + ", " + maxFileReads + ", " + maxCallsPerConnection);
        }
    }

    public static GrpcServerConfig defaults() {
        return new GrpcServerConfig(DEFAULT_MAX_CALL_DURATION, DEFAULT_MAX_CHUNK_STREAMS, DEFAULT_MAX_FILE_READS,
                DEFAULT_MAX_CALLS_PER_CONNECTION, DEFAULT_MAX_CONNECTION_IDLE, DEFAULT_MAX_CONNECTION_AGE,
                DEFAULT_MAX_CONNECTION_AGE_GRACE, DEFAULT_HANDSHAKE_TIMEOUT, PeerRates.defaults());
    }

    public GrpcServerConfig withMaxCallDuration(Duration max) {
        return new GrpcServerConfig(max, maxChunkStreams, maxFileReads, maxCallsPerConnection, maxConnectionIdle,
                maxConnectionAge, maxConnectionAgeGrace, handshakeTimeout, peerRates);
    }

    public GrpcServerConfig withPeerRates(PeerRates rates) {
        return new GrpcServerConfig(maxCallDuration, maxChunkStreams, maxFileReads, maxCallsPerConnection, maxConnectionIdle,
                maxConnectionAge, maxConnectionAgeGrace, handshakeTimeout, rates);
    }

    /** Applies the limits to {@code builder}; the Netty-only ones when it is Netty's; {@code clock} refills the peer buckets. */
    ServerBuilder<?> applyTo(ServerBuilder<?> builder, Clock clock) {
        builder.addStreamTracerFactory(new DefaultDeadline(maxCallDuration));
        builder.intercept(new PeerLimits(peerRates, clock));
        builder.intercept(new StreamLimit(ChunksGrpc.getGetChunkMethod(), maxChunkStreams));
        builder.intercept(new StreamLimit(FilesGrpc.getGetMethod(), maxFileReads));
        builder.maxInboundMessageSize(ProtocolLimits.MAX_MESSAGE_BYTES)
                .maxInboundMetadataSize(ProtocolLimits.MAX_METADATA_BYTES)
                .handshakeTimeout(handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (builder instanceof NettyServerBuilder netty) {
            netty.maxConcurrentCallsPerConnection(maxCallsPerConnection)
                    .keepAliveTime(ProtocolLimits.KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                    .keepAliveTimeout(ProtocolLimits.KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .permitKeepAliveTime(ProtocolLimits.MIN_KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .maxConnectionIdle(maxConnectionIdle.toMillis(), TimeUnit.MILLISECONDS)
                    .maxConnectionAge(maxConnectionAge.toMillis(), TimeUnit.MILLISECONDS)
                    .maxConnectionAgeGrace(maxConnectionAgeGrace.toMillis(), TimeUnit.MILLISECONDS);
        }
        return builder;
    }
}
