package io.shardmesh.common.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.protocol.ProtocolLimits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One channel per peer, shared by every call to it: per node id and address when the caller
 * knows whom it means to reach (the channel's TLS handshake then accepts only that node), per
 * address alone for a first contact. Channels go idle by themselves when unused; all are shut
 * down on {@link #close()}.
 */
public final class PeerChannels implements AutoCloseable {

    /** Makes a channel to an address; the seam tests use to route to in-process servers. */
    @FunctionalInterface
    public interface Factory {
        /**
         * @param expected the node meant, when known: a secure channel accepts no one else; empty
         *     for a first contact, whose id the answer tells
         */
        ManagedChannel open(Optional<NodeId> expected, String host, int port);
    }

    /** Plaintext HTTP/2 to {@code host:port} with the mesh's message limits (a mesh run with {@code --plaintext}). */
    public static final Factory PLAINTEXT = (expected, host, port) ->
            Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create())
                    .maxInboundMessageSize(ProtocolLimits.MAX_MESSAGE_BYTES)
                    .keepAliveTime(ProtocolLimits.KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                    .keepAliveTimeout(ProtocolLimits.KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .idleTimeout(5, TimeUnit.MINUTES)
                    .build();

    /** Peers with an open channel at most; the least recently used one is closed past it. */
    public static final int MAX_CHANNELS = 1024;

    private final Factory factory;
    /** Access-ordered, under this object's lock: contacts learnt from peers must not pile up channels. */
    private final Map<String, ManagedChannel> channels = new LinkedHashMap<>(64, 0.75f, true);
    private volatile boolean closed;

    public PeerChannels(Factory factory) {
        this.factory = requireNonNull(factory, "factory");
    }

    /** The channel to whichever node is at {@code host:port} (a first contact), opened on first use. */
    public ManagedChannel get(String host, int port) {
        return get(Optional.empty(), host, port);
    }

    /** The channel to {@code node} at its address, opened on first use. */
    public ManagedChannel get(Contact node) {
        return get(Optional.of(node.id()), node.host(), node.port());
    }

    private synchronized ManagedChannel get(Optional<NodeId> expected, String host, int port) {
        if (closed) {
            throw new IllegalStateException("peer channels are closed");
        }
        String key = expected.map(NodeId::hex).orElse("*") + "@" + host + ":" + port;
        ManagedChannel ch = channels.computeIfAbsent(key, a -> factory.open(expected, host, port));
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
