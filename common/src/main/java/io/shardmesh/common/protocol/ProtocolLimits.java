package io.shardmesh.common.protocol;

import java.time.Duration;

/**
 * The limits every node and every client of the {@code shardmesh.v1} protocol agree on, each
 * defined once: servers enforce them, clients size what they send and what they accept by
 * them. Per-node settings (quotas, stream counts, deadlines) live in the parts' {@code …Config}
 * records; these are properties of the wire.
 */
public final class ProtocolLimits {

    /** Most data bytes in one stream frame (DESIGN.md: "frames of at most 1 MiB"). */
    public static final int MAX_FRAME_BYTES = 1 << 20;

    /** Largest message a peer may send: a full data frame plus its envelope and a header's fields. */
    public static final int MAX_MESSAGE_BYTES = MAX_FRAME_BYTES + 64 * 1024;

    /** Largest request or response metadata (headers). */
    public static final int MAX_METADATA_BYTES = 16 * 1024;

    /**
     * Data bytes per {@code GetChunk} and {@code PutChunk} frame: small, because a node buffers a
     * few frames per stream and serves or accepts a hundred streams at once.
     */
    public static final int CHUNK_FRAME_BYTES = 256 << 10;

    /** Data bytes per {@code Files.Get} frame. */
    public static final int FILE_FRAME_BYTES = MAX_FRAME_BYTES;

    /** Largest chunk (shard or manifest blob) a node stores and a reader accepts. */
    public static final long MAX_CHUNK_BYTES = 64L << 20;

    /** Most chunk ids in one {@code HasChunks}, {@code Pin} or {@code Unpin} request. */
    public static final int MAX_BATCH_IDS = 4096;

    /** Most contacts in one {@code ExchangePeers} request or answer. */
    public static final int MAX_GOSSIP_PEERS = 64;

    /** Most UTF-8 bytes of a {@code Kv} key. */
    public static final int MAX_KV_KEY_BYTES = 256;

    /** How often an idle connection is pinged, and how long the answer may take. */
    public static final Duration KEEPALIVE_TIME = Duration.ofSeconds(60);
    public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(20);

    /** Clients may ping this often; more often is a GOAWAY (too_many_pings). */
    public static final Duration MIN_KEEPALIVE_TIME = Duration.ofSeconds(10);

    private ProtocolLimits() {
    }
}
