package io.shardmesh.cli.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.shardmesh.cli.bench.Ceilings;
import io.shardmesh.common.net.HostPort;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.server.grpc.TransportSecurity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A bare grpc-java server, the ceiling the node's own calls are held against: a server stream
 * of bytes frames (one protobuf field, no checks, no disk) and a unary echo, on grpc-java's defaults.
 */
public final class BareGrpc {

    static final String SERVICE = "shardmesh.bench.Bare";

    /** Request: total bytes (8) and frame size (4); response: frames of that size. */
    public static final MethodDescriptor<BytesValue, BytesValue> STREAM = MethodDescriptor.<BytesValue, BytesValue>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Stream"))
            .setRequestMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance())).build();

    public static final MethodDescriptor<BytesValue, BytesValue> ECHO = MethodDescriptor.<BytesValue, BytesValue>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Echo"))
            .setRequestMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance())).build();

    private BareGrpc() {
    }

    /** Serves on {@code listen} (port 0: the OS picks) until the process ends; {@code started} is told the port. */
    public static void run(HostPort listen, TransportSecurity security, java.util.function.IntConsumer started)
            throws IOException, InterruptedException {
        Server server = serve(listen, security);
        started.accept(server.getPort());
        server.awaitTermination();
    }

    /** Starts the server on {@code listen} (port 0: the OS picks), secured as a node's port would be. */
    public static Server serve(HostPort listen, TransportSecurity security) throws IOException {
        byte[] frame = Ceilings.random(ProtocolLimits.MAX_FRAME_BYTES);
        ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, out) -> {
                    out.onNext(req);
                    out.onCompleted();
                }))
                .addMethod(STREAM, ServerCalls.asyncServerStreamingCall((req, out) -> stream(req, frame, out)))
                .build();
        return security.server(new InetSocketAddress(listen.host(), listen.port()), Clock.systemUTC())
                .maxInboundMessageSize(ProtocolLimits.MAX_MESSAGE_BYTES)
                .addService(service)
                .build()
                .start();
    }

    /** Sends frames while the transport is ready, as a well-behaved server does. */
    private static void stream(BytesValue req, byte[] frame, StreamObserver<BytesValue> responses) {
        ByteBuffer r = req.getValue().asReadOnlyByteBuffer();
        long total = r.getLong();
        int size = Math.min(frame.length, r.getInt());
        // The frame is wrapped, not copied, as the node's GetChunk frames are.
        BytesValue payload = BytesValue.newBuilder().setValue(UnsafeByteOperations.unsafeWrap(frame, 0, size)).build();
        int payloadBytes = size;
        ServerCallStreamObserver<BytesValue> out = (ServerCallStreamObserver<BytesValue>) responses;
        long[] sent = {0};
        boolean[] done = {false};
        out.setOnReadyHandler(() -> {
            synchronized (sent) {
                while (!done[0] && out.isReady() && sent[0] < total) {
                    out.onNext(payload);
                    sent[0] += payloadBytes;
                }
                if (!done[0] && sent[0] >= total) {
                    done[0] = true;
                    out.onCompleted();
                }
            }
        });
    }

    /**
     * Reads {@code total} bytes as {@code concurrency} server streams of {@code frame}-byte
     * messages split evenly; MB/s.
     */
    public static double streamRate(Channel channel, long total, int frame, int concurrency) throws InterruptedException {
        long perCall = Math.max(frame, total / concurrency);
        CountDownLatch done = new CountDownLatch(concurrency);
        AtomicLong received = new AtomicLong();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        long t = System.nanoTime();
        for (int i = 0; i < concurrency; i++) {
            BytesValue req = BytesValue.newBuilder().setValue(ByteString.copyFrom(ByteBuffer.allocate(12).putLong(perCall).putInt(frame).flip())).build();
            ClientCalls.asyncServerStreamingCall(channel.newCall(STREAM, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.MINUTES)), req,
                    new StreamObserver<>() {
                        @Override
                        public void onNext(BytesValue value) {
                            received.addAndGet(value.getValue().size());
                        }

                        @Override
                        public void onError(Throwable e) {
                            failed.set(e);
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
        }
        done.await();
        if (failed.get() != null) {
            throw new IllegalStateException("bare stream failed: " + failed.get().getMessage(), failed.get());
        }
        return Ceilings.mbps(received.get(), System.nanoTime() - t);
    }
}
