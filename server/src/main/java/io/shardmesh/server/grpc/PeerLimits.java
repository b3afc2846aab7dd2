package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.units.Sizes;
import io.shardmesh.proto.v1.ChunksGrpc;
import io.shardmesh.proto.v1.DhtGrpc;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Per-peer limits: token buckets for DHT stores, for FindNode and FindValue, and for chunk bytes
 * served, per caller, so one peer that floods cannot take the node from the others. A caller is
 * its verified node id (TLS) or, without one, its IP address. A call beyond its bucket is
 * {@code RESOURCE_EXHAUSTED} with a retry hint, in the message and as
 * {@value #RETRY_PUSHBACK} (milliseconds; grpc-java's retry policy honours it). A GetChunk
 * stream starts only while its caller's byte bucket is not in debt and the bytes it then sends
 * are charged as they go, so a stream already under way is never cut.
 *
 * @see GrpcServerConfig.PeerRates
 */
final class PeerLimits implements ServerInterceptor {

    /** The trailer that carries the retry hint. */
    static final String RETRY_PUSHBACK = "grpc-retry-pushback-ms";
    private static final Metadata.Key<String> PUSHBACK = Metadata.Key.of(RETRY_PUSHBACK, Metadata.ASCII_STRING_MARSHALLER);
    /** Callers remembered at most; one that has not called for this long starts afresh. */
    private static final int MAX_CALLERS = 100_000;
    private static final Duration FORGET_AFTER = Duration.ofMinutes(10);

    private final GrpcServerConfig.PeerRates rates;
    private final Clock clock;
    private final Cache<String, Buckets> callers = Caffeine.newBuilder()
            .maximumSize(MAX_CALLERS).expireAfterAccess(FORGET_AFTER).build();

    /** One caller's buckets. */
    private final class Buckets {
        final TokenBucket stores;
        final TokenBucket lookups;
        final TokenBucket chunkBytes;

        Buckets(long now) {
            stores = bucket(rates.storesPerSecond(), rates.burst(), now);
            lookups = bucket(rates.lookupsPerSecond(), rates.burst(), now);
            chunkBytes = bucket(rates.chunkBytesPerSecond(), rates.burst(), now);
        }
    }

    /**
     * A bucket of {@code ratePerSecond} holding {@code burst}'s worth, and at least one token: a
     * rate below one per burst (say 0.05 stores a second) still admits a call now and then.
     */
    static TokenBucket bucket(double ratePerSecond, Duration burst, long now) {
        return new TokenBucket(ratePerSecond, Math.max(1, ratePerSecond * burst.toMillis() / 1000.0), now);
    }

    PeerLimits(GrpcServerConfig.PeerRates rates, Clock clock) {
        this.rates = requireNonNull(rates, "rates");
        this.clock = requireNonNull(clock, "clock");
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        boolean store = method.equals(DhtGrpc.getStoreMethod().getFullMethodName());
        boolean lookup = method.equals(DhtGrpc.getFindNodeMethod().getFullMethodName())
                || method.equals(DhtGrpc.getFindValueMethod().getFullMethodName());
        boolean chunk = method.equals(ChunksGrpc.getGetChunkMethod().getFullMethodName());
        if (!store && !lookup && !chunk) {
            return next.startCall(call, headers);
        }
        String who = callerOf(call);
        long now = clock.millis();
        Buckets b = callers.get(who, k -> new Buckets(now));
        if (store && !b.stores.tryTake(1, now)) {
            return refuse(call, b.stores.millisUntil(1, now), rates.storesPerSecond() + " DHT stores a second", who);
        }
        if (lookup && !b.lookups.tryTake(1, now)) {
            return refuse(call, b.lookups.millisUntil(1, now), rates.lookupsPerSecond() + " lookups a second", who);
        }
        if (chunk) {
            if (!b.chunkBytes.positive(now)) {
                return refuse(call, b.chunkBytes.millisUntil(1, now),
                        Sizes.format(rates.chunkBytesPerSecond()) + " of chunks a second", who);
            }
            TokenBucket bytes = b.chunkBytes;
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendMessage(A message) {
                    if (message instanceof MessageLite m) {
                        bytes.debit(m.getSerializedSize(), clock.millis());
                    }
                    super.sendMessage(message);
                }
            }, headers);
        }
        return next.startCall(call, headers);
    }

    private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, long retryMillis, String limit, String who) {
        Metadata trailers = new Metadata();
        long hint = Math.max(1, retryMillis);
        trailers.put(PUSHBACK, Long.toString(hint));
        call.close(Status.RESOURCE_EXHAUSTED.withDescription("rate limit: at most " + limit + " from " + who
                + "; retry in " + hint + " ms"), trailers);
        return new ServerCall.Listener<>() {
        };
    }

    /** The caller's verified node id, else its IP address. */
    static String callerOf(ServerCall<?, ?> call) {
        Optional<NodeId> id = TransportSecurity.callerOf(call);
        if (id.isPresent()) {
            return "node " + id.get().hex();
        }
        SocketAddress a = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (a instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(a);
    }
}
