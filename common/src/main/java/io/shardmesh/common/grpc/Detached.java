package io.shardmesh.common.grpc;

import io.grpc.Context;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;

/**
 * Starts outbound calls outside any server call's gRPC {@link Context}. A call started on a
 * thread that is handling an inbound call inherits that call's Context, and is cancelled the
 * moment the inbound call ends ("Context was cancelled without error"): fatal for work that
 * outlives a request, such as verifying a caller. Reactor already carries cancellation along
 * our chains, so nothing is lost by detaching.
 *
 * <p>Only the subscription runs under the root Context; every signal passes straight through.
 * (An earlier version re-emitted the call's signals into a {@code MonoSink}, and calling
 * {@code success()} after {@code success(value)} completes the sink <em>empty</em> when the value
 * arrived before the subscriber's request: a probe answered in time then read as "no answer".)
 */
final class Detached {

    private Detached() {
    }

    static <T> Mono<T> call(Mono<T> rpc) {
        return new MonoOperator<T, T>(rpc) {
            @Override
            public void subscribe(CoreSubscriber<? super T> actual) {
                Context previous = Context.ROOT.attach();
                try {
                    source.subscribe(actual);
                } finally {
                    Context.ROOT.detach(previous);
                }
            }
        };
    }
}
