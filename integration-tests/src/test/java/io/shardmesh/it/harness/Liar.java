package io.shardmesh.it.harness;

import com.google.protobuf.ByteString;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.GetChunkRequest;
import io.shardmesh.proto.v1.GetChunkResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Makes a real node lie in {@code Chunks/GetChunk}, on the wire, for the chunk ids it is told
 * to: the node's own handler runs, and what it answers is rewritten, withheld or dribbled out.
 * Every other call (the DHT, uploads, pins) stays honest, so the liar remains a member of the
 * mesh that readers are sent to.
 */
public final class Liar implements ServerInterceptor, AutoCloseable {

    /** What to do with a GetChunk answer. */
    public sealed interface Lie permits Rewrite, Stall, Trickle {
    }

    /** Collect the honest frames, send {@code frames.apply(honest)} instead, then end OK. */
    public record Rewrite(UnaryOperator<List<GetChunkResponse>> frames) implements Lie {
    }

    /** Accept the call and never answer. */
    public record Stall() implements Lie {
    }

    /** Send the honest bytes one byte per frame, one frame every {@code every}. */
    public record Trickle(Duration every) implements Lie {
    }

    /** Serve these bytes, well framed, whatever was asked for. */
    public static Lie serve(byte[] bytes) {
        return new Rewrite(honest -> List.of(frame(ByteString.copyFrom(bytes), 0, bytes.length)));
    }

    /** Flip one bit of the first byte. */
    public static Lie flipFirstByte() {
        return new Rewrite(honest -> {
            List<GetChunkResponse> out = new ArrayList<>(honest);
            GetChunkResponse f = out.get(0);
            byte[] data = f.getData().toByteArray();
            data[0] ^= 1;
            out.set(0, f.toBuilder().setData(ByteString.copyFrom(data)).build());
            return out;
        });
    }

    /** End the stream OK after half of the first frame. */
    public static Lie truncate() {
        return new Rewrite(honest -> {
            GetChunkResponse f = honest.get(0);
            return List.of(f.toBuilder().setData(f.getData().substring(0, f.getData().size() / 2)).build());
        });
    }

    /** Keep sending after the declared size: {@code extra} bytes more. */
    public static Lie overrun(int extra) {
        return new Rewrite(honest -> {
            List<GetChunkResponse> out = new ArrayList<>(honest);
            long size = honest.get(0).getChunkSize();
            out.add(frame(ByteString.copyFrom(new byte[extra]), size, size));
            return out;
        });
    }

    private static GetChunkResponse frame(ByteString data, long offset, long chunkSize) {
        return GetChunkResponse.newBuilder().setData(data).setOffset(offset).setChunkSize(chunkSize).build();
    }

    private final Map<String, Lie> lies = new ConcurrentHashMap<>();
    private final AtomicInteger told = new AtomicInteger();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "liar-trickle");
        t.setDaemon(true);
        return t;
    });

    /** Lie about {@code chunkId} from now on. */
    public void lieAbout(String chunkId, Lie lie) {
        lies.put(chunkId, lie);
    }

    /** Be honest again. */
    public void honest() {
        lies.clear();
    }

    /** How many GetChunk calls were answered with a lie (a test checks its liar was asked at all). */
    public int liesTold() {
        return told.get();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (!call.getMethodDescriptor().getFullMethodName().equals(ChunksGrpc.getGetChunkMethod().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        LyingCall<Q, A> lying = new LyingCall<>(call);
        ServerCall.Listener<Q> honest = next.startCall(lying, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(honest) {
            private boolean stalled;

            @Override
            public void onMessage(Q message) {
                Lie lie = lies.get(((GetChunkRequest) message).getChunkId());
                if (lie != null) {
                    told.incrementAndGet();
                }
                lying.lie = lie;
                stalled = lie instanceof Stall;
                if (!stalled) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                // A stalled call never reaches the handler: it stays open until the caller gives up.
                if (!stalled) {
                    super.onHalfClose();
                }
            }
        };
    }

    private final class LyingCall<Q, A> extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
        volatile Lie lie;
        private final List<GetChunkResponse> held = new ArrayList<>();

        LyingCall(ServerCall<Q, A> delegate) {
            super(delegate);
        }

        @Override
        public void sendMessage(A message) {
            if (lie == null) {
                super.sendMessage(message);
            } else {
                held.add((GetChunkResponse) message);
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public void close(Status status, Metadata trailers) {
            Lie l = lie;
            if (l == null || !status.isOk() || held.isEmpty()) {
                super.close(status, trailers);
            } else if (l instanceof Rewrite r) {
                for (GetChunkResponse f : r.frames().apply(List.copyOf(held))) {
                    super.sendMessage((A) f);
                }
                super.close(status, trailers);
            } else if (l instanceof Trickle t) {
                byte[] all = new byte[(int) held.get(0).getChunkSize()];
                int n = 0;
                for (GetChunkResponse f : held) {
                    f.getData().copyTo(all, n);
                    n += f.getData().size();
                }
                trickle(all, 0, t.every(), trailers);
            }
        }

        @SuppressWarnings("unchecked")
        private void trickle(byte[] all, int at, Duration every, Metadata trailers) {
            // One thread sends, after the handler is done with the call: never two at once.
            if (isCancelled()) {
                return;
            }
            if (at == all.length) {
                super.close(Status.OK, trailers);
                return;
            }
            super.sendMessage((A) frame(ByteString.copyFrom(all, at, 1), at, all.length));
            timer.schedule(() -> trickle(all, at + 1, every, trailers), every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
