package io.shardmesh.it.harness;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A call driven by hand, below the stubs: what a misbehaving caller does (sends no deadline,
 * never half-closes, stops reading) and how it ended.
 *
 * @param call the call, to cancel
 * @param closed completes with the status the call ended with
 */
public record RawCall<Q, A>(ClientCall<Q, A> call, CompletableFuture<Status> closed) {

    /**
     * Starts {@code method} with {@code options}, sends {@code messages}, half-closes only if
     * asked, and asks for at most {@code read} responses.
     */
    public static <Q, A> RawCall<Q, A> start(ManagedChannel channel, MethodDescriptor<Q, A> method, CallOptions options,
                                             List<Q> messages, boolean halfClose, int read) {
        ClientCall<Q, A> call = channel.newCall(method, options);
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
                closed.complete(status);
            }
        }, new Metadata());
        call.request(read);
        messages.forEach(call::sendMessage);
        if (halfClose) {
            call.halfClose();
        }
        return new RawCall<>(call, closed);
    }
}
