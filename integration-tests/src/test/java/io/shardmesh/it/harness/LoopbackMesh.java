package io.shardmesh.it.harness;

import io.grpc.ManagedChannel;
import io.shardmesh.common.dht.KademliaConfig;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.proto.v1.FilesPutResponse;
import io.shardmesh.proto.v1.FilesStatResponse;
import io.shardmesh.server.dht.DhtConfig;
import io.shardmesh.server.grpc.NodeTransport;
import io.shardmesh.server.node.ShardmeshNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Real nodes in this JVM, each serving on its own Netty socket on 127.0.0.1 with an OS-picked
 * port and calling the others over loopback, each with a {@link Liar} that can make it lie in
 * GetChunk. Files are put with k = 4, m = 2 and 4 KiB shards, so six nodes hold one shard of
 * every stripe each. {@link #close()} stops everything it started.
 */
public final class LoopbackMesh implements AutoCloseable {

    public static final int K = 4;
    public static final int M = 2;
    public static final int SHARD = 4096;
    public static final int STRIPE = K * SHARD;
    public static final Duration CALL_DEADLINE = FileCalls.DEADLINE;

    private final List<ShardmeshNode> nodes = new ArrayList<>();
    private final List<Liar> liars = new ArrayList<>();
    private final List<ManagedChannel> clients = new ArrayList<>();

    private LoopbackMesh() {
    }

    /** Starts {@code n} nodes under {@code root} and makes every node know every other. */
    public static LoopbackMesh start(Path root, int n) throws IOException {
        LoopbackMesh mesh = new LoopbackMesh();
        try {
            DhtConfig dht = DhtConfig.defaults()
                    .withKademlia(KademliaConfig.defaults().withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10)));
            for (int i = 0; i < n; i++) {
                Liar liar = new Liar();
                mesh.liars.add(liar);
                mesh.nodes.add(ShardmeshNode.builder(root.resolve("n" + i))
                        .listen(new HostPort("127.0.0.1", 0))
                        .transport(NodeTransport.network().intercepting(liar))
                        .configure(c -> c.withDht(dht))
                        .configure(c -> c.withShutdownGrace(Duration.ofSeconds(2)))
                        .start());
            }
            HostPort first = address(mesh.nodes.get(0));
            for (int round = 0; round < 2; round++) {
                for (ShardmeshNode node : mesh.nodes.subList(1, n)) {
                    node.join(List.of(first)).block(CALL_DEADLINE);
                }
            }
            mesh.nodes.get(0).join(List.of(address(mesh.nodes.get(1)))).block(CALL_DEADLINE);
            return mesh;
        } catch (IOException | RuntimeException e) {
            mesh.close();
            throw e;
        }
    }

    private static HostPort address(ShardmeshNode n) {
        return new HostPort("127.0.0.1", n.port());
    }

    public List<ShardmeshNode> nodes() {
        return nodes;
    }

    public ShardmeshNode node(int i) {
        return nodes.get(i);
    }

    /** The liar inside {@code node}. */
    public Liar liar(ShardmeshNode node) {
        return liars.get(nodes.indexOf(node));
    }

    /** The node with this id. */
    public ShardmeshNode byId(String nodeId) {
        return nodes.stream().filter(n -> n.id().hex().equals(nodeId)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + nodeId));
    }

    /** The first node that is none of {@code others}. */
    public ShardmeshNode anyBut(List<ShardmeshNode> others) {
        return nodes.stream().filter(n -> !others.contains(n)).findFirst().orElseThrow();
    }

    /** Makes {@code holder} tell {@code lie} about every shard of the file that it holds. */
    public void lieAboutShardsHeldBy(ShardmeshNode holder, FilesStatResponse stat, Liar.Lie lie) {
        for (var stripe : stat.getStripesList()) {
            for (var shard : stripe.getShardsList()) {
                if (shard.getHoldersList().stream().anyMatch(h -> h.getNodeId().equals(holder.id().hex()))) {
                    liar(holder).lieAbout(shard.getChunkId(), lie);
                }
            }
        }
    }

    /** The first announced holder of shard {@code shard} of stripe {@code stripe}. */
    public ShardmeshNode holderOf(FilesStatResponse stat, int stripe, int shard) {
        return byId(stat.getStripes(stripe).getShards(shard).getHolders(0).getNodeId());
    }

    /** The nodes that keep the blob {@code chunkId} (a shard or a manifest) on disk. */
    public List<ShardmeshNode> holdersOf(String chunkId) {
        return nodes.stream().filter(n -> !ChunkCalls.held(channel(n), List.of(chunkId), CALL_DEADLINE).isEmpty()).toList();
    }

    /** The blob {@code chunkId} as {@code node} serves it (through its liar, if it was told to lie about it). */
    public byte[] chunk(ShardmeshNode node, String chunkId) {
        return ChunkCalls.get(channel(node), chunkId, CALL_DEADLINE);
    }

    /** A client channel to {@code node} over its socket, closed with the mesh. */
    public synchronized ManagedChannel channel(ShardmeshNode node) {
        ManagedChannel ch = Tls.channel("127.0.0.1", node.port());
        clients.add(ch);
        return ch;
    }

    /** Files.Put through {@code via}. */
    public FilesPutResponse put(ShardmeshNode via, byte[] data, String name) {
        return FileCalls.put(channel(via), data, name, K, M, SHARD);
    }

    /** Files.Stat through {@code via}. */
    public FilesStatResponse stat(ShardmeshNode via, String fileId) {
        return FileCalls.stat(channel(via), fileId);
    }

    /** Files.Get through {@code via}, keeping whatever arrived before a failure. */
    public FileCalls.Read get(ShardmeshNode via, String fileId) {
        return FileCalls.get(channel(via), fileId);
    }

    @Override
    public void close() {
        synchronized (this) {
            clients.forEach(ManagedChannel::shutdownNow);
        }
        nodes.parallelStream().forEach(ShardmeshNode::close);
        liars.forEach(Liar::close);
    }
}
