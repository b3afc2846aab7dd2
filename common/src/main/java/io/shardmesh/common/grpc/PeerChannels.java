package io.shardmesh.common.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.shardmesh.common.protocol.ProtocolLimits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One channel per peer address, shared by every call to that peer. Channels go idle by
 * themselves when unused; all are shut down on {@link #close()}.
 */
public final class PeerChannels implements AutoCloseable {

    /** Makes a channel to an address; the seam tests use to route to in-process servers. */
    @FunctionalInterface
    public interface Factory {
        ManagedChannel open(String host, int port);
    }

    /** Plaintext HTTP/2 to {@code host:port} with the mesh's message limits. */
    public static final Factory NETWORK = (host, port) ->
            Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create())
                    .maxInboundMessageSize(ProtocolLimits.MAX_MESSAGE_BYTES)
                    .keepAliveTime(ProtocolLimits.KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                    .keepAliveTimeout(ProtocolLimits.KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .idleTimeout(5, TimeUnit.MINUTES)
                    .build();

    /** Peers with an open channel at most; the least recently used one is closed past it. */
    public static final int MAX_CHANNELS = 1024;

    private final Factory factory;
    /** Access-ordered, under this object's lock: addresses learnt from peers must not pile up channels. */
    private final Map<String, ManagedChannel> channels = new LinkedHashMap<>(64, 0.75f, true);
    private volatile boolean closed;

    public PeerChannels(Factory factory) {
        this.factory = requireNonNull(factory, "factory");
    }

    /** The channel to {@code host:port}, opened on first use. */
    public synchronized ManagedChannel get(String host, int port) {
        if (closed) {
            throw new IllegalStateException("peer channels are closed");
        }
        ManagedChannel ch = channels.computeIfAbsent(host + ":" + port, a -> factory.open(host, port));
        reconnectNow(ch);
        if (channels.size() > MAX_CHANNELS) {
            var eldest = channels.entrySet().iterator().next();
            // shutdown(), not shutdownNow(): calls already on it finish.
            eldest.getValue().shutdown();
            channels.remove(eldest.getKey());
        }
        return ch;
    }

    /**
     * A channel whose peer went away waits out an exponential backoff (up to two minutes) before
     * it dials again, and fails calls at once meanwhile: a node restarted in that time would look
     * dead. A caller asking for the channel is the moment to dial again.
     */
    private static void reconnectNow(ManagedChannel ch) {
        try {
            if (ch.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
                ch.resetConnectBackoff();
            }
        } catch (UnsupportedOperationException e) {
            // A test channel without connectivity states: nothing to reset.
        }
    }

    @Override
    public void close() {
        List<ManagedChannel> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(channels.values());
            channels.clear();
        }
        all.forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel c : all) {
            try {
                c.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
