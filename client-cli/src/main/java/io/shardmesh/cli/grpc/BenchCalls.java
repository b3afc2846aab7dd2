package io.shardmesh.cli.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.shardmesh.common.grpc.PeerChannels;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.proto.v1.DhtGrpc;
import io.shardmesh.proto.v1.FindNodeRequest;
import io.shardmesh.proto.v1.NodeGrpc;
import io.shardmesh.proto.v1.StatusRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The bench's gRPC calls that are not the mesh's pipelines: the bare server's stream and echo,
 * and unary Node.Status and Dht.FindNode on a node, over the client's own channels.
 */
public final class BenchCalls {

    /** Deadline of one unary call under load. */
    static final long UNARY_DEADLINE_MILLIS = 20_000;
    private static final BytesValue ECHO_REQUEST = BytesValue.newBuilder().setValue(ByteString.copyFrom(new byte[32])).build();

    private final ManagedChannel bare;
    private final ManagedChannel node;
    private final int concurrency;
    private final List<String> targets = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    public BenchCalls(PeerChannels channels, HostPort bare, HostPort node, int concurrency) {
        this.bare = channels.get(bare.host(), bare.port());
        this.node = channels.get(node.host(), node.port());
        this.concurrency = concurrency;
        for (int i = 0; i < 64; i++) {
            targets.add(NodeId.random().hex());
        }
    }

    /** MB/s of {@code bytes} from the bare server in 256 KiB frames, {@code streams} at once. */
    public double bareStream(long bytes, int streams) throws InterruptedException {
        return BareGrpc.streamRate(bare, bytes, ProtocolLimits.CHUNK_FRAME_BYTES, streams);
    }

    public UnaryLoad.Result echo(int calls) throws InterruptedException {
        return run(bare, BareGrpc.ECHO, () -> ECHO_REQUEST, calls);
    }

    public UnaryLoad.Result status(int calls) throws InterruptedException {
        return run(node, NodeGrpc.getStatusMethod(), StatusRequest::getDefaultInstance, calls);
    }

    /** FindNode of 64 random targets in turn. */
    public UnaryLoad.Result findNode(int calls) throws InterruptedException {
        return run(node, DhtGrpc.getFindNodeMethod(),
                () -> FindNodeRequest.newBuilder().setTargetId(targets.get(next.getAndIncrement() & 63)).build(), calls);
    }

    private <Q, R> UnaryLoad.Result run(ManagedChannel channel, MethodDescriptor<Q, R> method, Supplier<Q> request, int calls)
            throws InterruptedException {
        return UnaryLoad.run(channel, method, request, concurrency, calls, UNARY_DEADLINE_MILLIS);
    }
}
