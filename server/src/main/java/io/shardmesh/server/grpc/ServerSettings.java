package io.shardmesh.server.grpc;

import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.FilesGrpc;
import io.shardmesh.server.chunk.ChunkConfig;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Limits every node's gRPC server runs with, whatever the transport. */
public final class ServerSettings {

    /** A 1 MiB data frame plus its message envelope and a header's worth of fields. */
    public static final int MAX_INBOUND_MESSAGE_BYTES = ChunkConfig.MAX_FRAME_BYTES + 64 * 1024;
    public static final int MAX_INBOUND_METADATA_BYTES = 16 * 1024;
    /** Enough for a client fanning out a thousand shard streams over one connection. */
    public static final int MAX_CONCURRENT_CALLS_PER_CONNECTION = 2048;
    public static final long KEEPALIVE_TIME_SECONDS = 60;
    public static final long KEEPALIVE_TIMEOUT_SECONDS = 20;
    /** Clients may ping this often; more often is a GOAWAY (too_many_pings). */
    public static final long PERMIT_KEEPALIVE_SECONDS = 10;
    public static final long MAX_CONNECTION_IDLE_MINUTES = 30;
    /** Connections are recycled now and then, with a long grace so transfers in flight finish. */
    public static final long MAX_CONNECTION_AGE_MINUTES = 120;
    public static final long MAX_CONNECTION_AGE_GRACE_MINUTES = 30;
    public static final long HANDSHAKE_TIMEOUT_SECONDS = 10;
    /**
     * GetChunk streams in progress at once, node-wide: each may hold a 256 KiB frame in the
     * transport for a caller that does not read, so this bounds that memory (32 MiB). A reader
     * keeps about a dozen streams open, so this serves many readers at once.
     */
    public static final int MAX_CONCURRENT_CHUNK_STREAMS = 128;
    /**
     * Files.Get streams in progress at once, node-wide: each runs a whole read pipeline here
     * (two stripes of up to 64 MiB in flight), so a crowd of gateway readers could exhaust the
     * heap without it. Readers that fetch shards themselves (the CLI) do not count.
     */
    public static final int MAX_CONCURRENT_FILE_READS = 16;

    private ServerSettings() {
    }

    /**
     * The deadline a call that comes without one gets: long enough for a large file at a slow
     * pace, short of the connection age, so a caller that goes quiet cannot hold a stream open for
     * good. A caller's deadline further away is brought down to this; shorter ones are kept.
     */
    public static final Duration DEFAULT_MAX_CALL_DURATION = Duration.ofHours(1);

    /** Applies the limits, with the default deadline for calls that come without one. */
    public static ServerBuilder<?> apply(ServerBuilder<?> builder) {
        return apply(builder, DEFAULT_MAX_CALL_DURATION);
    }

    /** Applies the limits; the Netty-only ones when the builder is Netty's. */
    public static ServerBuilder<?> apply(ServerBuilder<?> builder, Duration maxCallDuration) {
        builder.addStreamTracerFactory(new DefaultDeadline(maxCallDuration));
        builder.intercept(new StreamLimit(ChunksGrpc.getGetChunkMethod(), MAX_CONCURRENT_CHUNK_STREAMS));
        builder.intercept(new StreamLimit(FilesGrpc.getGetMethod(), MAX_CONCURRENT_FILE_READS));
        builder.maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .maxInboundMetadataSize(MAX_INBOUND_METADATA_BYTES)
                .handshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (builder instanceof NettyServerBuilder netty) {
            netty.maxConcurrentCallsPerConnection(MAX_CONCURRENT_CALLS_PER_CONNECTION)
                    .keepAliveTime(KEEPALIVE_TIME_SECONDS, TimeUnit.SECONDS)
                    .keepAliveTimeout(KEEPALIVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .permitKeepAliveTime(PERMIT_KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .maxConnectionIdle(MAX_CONNECTION_IDLE_MINUTES, TimeUnit.MINUTES)
                    .maxConnectionAge(MAX_CONNECTION_AGE_MINUTES, TimeUnit.MINUTES)
                    .maxConnectionAgeGrace(MAX_CONNECTION_AGE_GRACE_MINUTES, TimeUnit.MINUTES);
        }
        return builder;
    }
}
