package io.shardmesh.server.testing;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.grpc.NodeTransport;
import io.shardmesh.server.node.NodeBuilder;
import io.shardmesh.server.node.ShardmeshNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Many real nodes in one JVM over the in-process transport. Each node advertises a distinct
 * fake 127.0.0.1 port; channels to that address are routed to its in-process server. A node
 * can be made silently dead: it accepts calls and never answers, so callers hit deadlines.
 */
public final class InProcessMesh implements AutoCloseable {

    private final Path root;
    private final Map<String, String> serverNames = new ConcurrentHashMap<>();
    private final Set<String> blackholed = ConcurrentHashMap.newKeySet();
    private final Set<String> down = ConcurrentHashMap.newKeySet();
    private final Map<String, java.util.concurrent.CompletableFuture<Void>> heldPings = new ConcurrentHashMap<>();
    private final List<ShardmeshNode> nodes = new ArrayList<>();
    private final AtomicInteger nextPort = new AtomicInteger(20_000);

    public InProcessMesh(Path root) {
        this.root = root;
    }

    /**
     * Channels to a fake address go to the in-process server behind it now, call by call, as a
     * TCP channel reaches whatever listens on its port: a node restarted on an address is
     * reached there, and one not started yet simply refuses.
     */
    public PeerChannels.Factory channels() {
        return (expected, host, port) -> new Rerouting(host + ":" + port);
    }

    private final class Rerouting extends ManagedChannel {
        private final String address;
        private final Map<String, ManagedChannel> byServer = new ConcurrentHashMap<>();
        private volatile boolean shutdown;

        Rerouting(String address) {
            this.address = address;
        }

        private ManagedChannel current() {
            String name = serverNames.get(address);
            String target = name == null ? "nowhere-" + address : name;
            return byServer.computeIfAbsent(target, t -> InProcessChannelBuilder.forName(t)
                    .maxInboundMessageSize(ProtocolLimits.MAX_MESSAGE_BYTES).build());
        }

        @Override
        public <Q, A> io.grpc.ClientCall<Q, A> newCall(io.grpc.MethodDescriptor<Q, A> method, io.grpc.CallOptions options) {
            return current().newCall(method, options);
        }

        @Override
        public String authority() {
            return address;
        }

        @Override
        public ManagedChannel shutdown() {
            shutdown = true;
            byServer.values().forEach(ManagedChannel::shutdown);
            return this;
        }

        @Override
        public ManagedChannel shutdownNow() {
            shutdown = true;
            byServer.values().forEach(ManagedChannel::shutdownNow);
            return this;
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown && byServer.values().stream().allMatch(ManagedChannel::isTerminated);
        }

        @Override
        public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit) throws InterruptedException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            for (ManagedChannel c : byServer.values()) {
                if (!c.awaitTermination(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Starts a node with a fresh data dir (no bootstrap: callers join it explicitly). */
    public ShardmeshNode start(DhtConfig dht) {
        return start(root.resolve("n" + nextPort.get()), nextPort.getAndIncrement(), dht, b -> b);
    }

    /** Starts (or restarts) a node on {@code dataDir} at fake port {@code port}. */
    public ShardmeshNode start(Path dataDir, int port, DhtConfig dht, UnaryOperator<NodeBuilder> customize) {
        String address = "127.0.0.1:" + port;
        String name = InProcessServerBuilder.generateName();
        InProcessServerBuilder sb = InProcessServerBuilder.forName(name);
        sb.intercept(blackhole(address));
        // Reachable from the moment it serves, as a real node is: before it starts joining.
        String previous = serverNames.put(address, name);
        try {
            ShardmeshNode node = customize.apply(ShardmeshNode.builder(dataDir)
                    .transport(NodeTransport.of(sb, channels()))
                    .advertise(new HostPort("127.0.0.1", port))
                    .configure(c -> c.withDht(dht))).start();
            synchronized (nodes) {
                nodes.add(node);
            }
            return node;
        } catch (IOException | RuntimeException e) {
            if (previous == null) {
                serverNames.remove(address, name);
            } else {
                serverNames.replace(address, name, previous);
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw (RuntimeException) e;
        }
    }

    public static HostPort address(ShardmeshNode n) {
        return new HostPort(n.contact().host(), n.contact().port());
    }

    /** A channel a test client uses to call {@code node}. */
    public ManagedChannel clientChannel(ShardmeshNode node) {
        return channels().open(java.util.Optional.empty(), node.contact().host(), node.contact().port());
    }

    /** The node keeps running but answers nothing, ever. */
    public void silence(ShardmeshNode node) {
        blackholed.add(node.contact().address());
    }

    /** The node refuses every call at once, as a killed process's closed port would. */
    public void down(ShardmeshNode node) {
        down.add(node.contact().address());
    }

    /**
     * Stops {@code node} for good, as kill -9 and a closed port would look to the others: the
     * node is closed, and every call to its address is refused at once (UNAVAILABLE) rather than
     * waiting for a server that is not there.
     */
    public void kill(ShardmeshNode node) {
        String address = node.contact().address();
        node.close();
        String name = "dead-" + InProcessServerBuilder.generateName();
        try {
            io.grpc.Server dead = InProcessServerBuilder.forName(name)
                    .fallbackHandlerRegistry(new io.grpc.HandlerRegistry() {
                        @Override
                        public io.grpc.ServerMethodDefinition<?, ?> lookupMethod(String method, String authority) {
                            return io.grpc.ServerMethodDefinition.create(
                                    io.grpc.MethodDescriptor.<Object, Object>newBuilder()
                                            .setType(io.grpc.MethodDescriptor.MethodType.UNKNOWN)
                                            .setFullMethodName(method)
                                            .setRequestMarshaller(new Discard())
                                            .setResponseMarshaller(new Discard())
                                            .build(),
                                    (call, headers) -> {
                                        call.close(io.grpc.Status.UNAVAILABLE.withDescription("node was killed (test)"),
                                                new Metadata());
                                        return new ServerCall.Listener<>() { };
                                    });
                        }
                    }).build().start();
            synchronized (deadServers) {
                deadServers.add(dead);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        serverNames.put(address, name);
    }

    private final List<io.grpc.Server> deadServers = new ArrayList<>();

    /** A marshaller for calls that are refused before any message is read. */
    private static final class Discard implements io.grpc.MethodDescriptor.Marshaller<Object> {
        @Override
        public java.io.InputStream stream(Object value) {
            return new java.io.ByteArrayInputStream(new byte[0]);
        }

        @Override
        public Object parse(java.io.InputStream stream) {
            return new Object();
        }
    }

    /** Undoes {@link #down} and {@link #silence}. */
    public void up(ShardmeshNode node) {
        down.remove(node.contact().address());
        blackholed.remove(node.contact().address());
    }

    /**
     * The node at {@code address} (it may not have started yet) answers {@code Dht.Ping} only
     * once the returned action runs, as a far-away or overloaded peer would late: callers that
     * check it by a ping learn it only then.
     */
    public Runnable holdPings(String address) {
        java.util.concurrent.CompletableFuture<Void> gate = new java.util.concurrent.CompletableFuture<>();
        heldPings.put(address, gate);
        return () -> gate.complete(null);
    }

    public boolean silenced(ShardmeshNode node) {
        return blackholed.contains(node.contact().address());
    }

    private ServerInterceptor blackhole(String address) {
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                               ServerCallHandler<Q, A> next) {
                if (blackholed.contains(address)) {
                    return new ServerCall.Listener<>() { };
                }
                if (down.contains(address)) {
                    call.close(io.grpc.Status.UNAVAILABLE.withDescription("node is down (test)"), new Metadata());
                    return new ServerCall.Listener<>() { };
                }
                var gate = heldPings.get(address);
                if (gate != null && call.getMethodDescriptor().getFullMethodName().equals("shardmesh.v1.Dht/Ping")) {
                    return next.startCall(new Delayed<>(call, gate), headers);
                }
                return next.startCall(call, headers);
            }
        };
    }

    /** A call whose answer (message and status, in order) leaves only once {@code gate} completes. */
    private static final class Delayed<Q, A> extends io.grpc.ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
        private java.util.concurrent.CompletableFuture<Void> tail;

        Delayed(ServerCall<Q, A> call, java.util.concurrent.CompletableFuture<Void> gate) {
            super(call);
            tail = gate.thenRunAsync(() -> { });
        }

        @Override
        public synchronized void sendMessage(A message) {
            tail = tail.thenRun(() -> super.sendMessage(message));
        }

        @Override
        public synchronized void close(io.grpc.Status status, Metadata trailers) {
            tail = tail.thenRun(() -> super.close(status, trailers));
        }
    }

    @Override
    public void close() {
        List<ShardmeshNode> all;
        synchronized (nodes) {
            all = new ArrayList<>(nodes);
            nodes.clear();
        }
        all.parallelStream().forEach(ShardmeshNode::close);
        synchronized (deadServers) {
            deadServers.forEach(io.grpc.Server::shutdownNow);
            deadServers.clear();
        }
    }
}
