package io.shardmesh.common.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One channel per peer address, shared by every call to that peer. Channels go idle by
 * themselves when unused; all are shut down on {@link #close()}.
 */
public final class PeerChannels implements AutoCloseable {

    /** Largest message a peer may send us: a 1 MiB frame plus envelope. */
    public static final int MAX_INBOUND_MESSAGE_BYTES = (1 << 20) + 64 * 1024;

    /** Makes a channel to an address; the seam tests use to route to in-process servers. */
    @FunctionalInterface
    public interface Factory {
        ManagedChannel open(String host, int port);
    }

    /** Plaintext HTTP/2 to {@code host:port} with the mesh's message limits. */
    public static final Factory NETWORK = (host, port) ->
            Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create())
                    .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                    .keepAliveTime(60, TimeUnit.SECONDS)
                    .keepAliveTimeout(20, TimeUnit.SECONDS)
                    .idleTimeout(5, TimeUnit.MINUTES)
                    .build();

    private final Factory factory;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public PeerChannels(Factory factory) {
        this.factory = requireNonNull(factory, "factory");
    }

    /** The channel to {@code host:port}, opened on first use. */
    public ManagedChannel get(String host, int port) {
        if (closed) {
            throw new IllegalStateException("peer channels are closed");
        }
        return channels.computeIfAbsent(host + ":" + port, a -> factory.open(host, port));
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel c : channels.values()) {
            try {
                c.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        channels.clear();
    }
}
