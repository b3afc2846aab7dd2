package io.shardmesh.common.grpc;

import io.grpc.Context;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Starts outbound calls outside any server call's gRPC {@link Context}. A call started on a
 * thread that is handling an inbound call inherits that call's Context, and is cancelled the
 * moment the inbound call ends ("Context was cancelled without error"): fatal for work that
 * outlives a request, such as verifying a caller. Reactor already carries cancellation along
 * our chains, so nothing is lost by detaching.
 */
final class Detached {

    private Detached() {
    }

    static <T> Mono<T> call(Mono<T> rpc) {
        return Mono.create(sink -> {
            Context previous = Context.ROOT.attach();
            Disposable d;
            try {
                d = rpc.subscribe(sink::success, sink::error, sink::success);
            } finally {
                Context.ROOT.detach(previous);
            }
            sink.onDispose(d);
        });
    }
}
