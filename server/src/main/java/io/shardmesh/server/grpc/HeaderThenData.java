package io.shardmesh.server.grpc;

import io.shardmesh.common.error.MeshException;
import java.nio.ByteBuffer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Client streams that open with a header message and go on with data frames ({@code PutChunk},
 * {@code Files.Put}; DESIGN.md's {@code oneof}): the header is read first, the handler gets it
 * with the data that follows, and a stream that breaks the shape is INVALID_ARGUMENT.
 *
 * @param <R> the request message
 * @param <H> the header message
 */
final class HeaderThenData<R, H> {

    private final String rpc;
    private final Predicate<R> hasHeader;
    private final Function<R, H> header;
    private final Function<R, ByteBuffer> data;

    /**
     * @param rpc the rpc's name, for error messages ({@code "PutChunk"})
     * @param data the data frame of a message, or null when the message is not one
     */
    HeaderThenData(String rpc, Predicate<R> hasHeader, Function<R, H> header, Function<R, ByteBuffer> data) {
        this.rpc = rpc;
        this.hasHeader = hasHeader;
        this.header = header;
        this.data = data;
    }

    /** Runs {@code handler} with the header and the data frames after it; emits its one result. */
    <T> Mono<T> handle(Flux<R> requests, BiFunction<H, Flux<ByteBuffer>, Mono<T>> handler) {
        return requests.switchOnFirst((first, all) -> {
            if (!first.hasValue()) {
                return first.isOnError() ? Flux.error(first.getThrowable())
                        : Flux.error(MeshException.invalidArgument(rpc + " stream ended before its header"));
            }
            if (!hasHeader.test(first.get())) {
                return Flux.error(MeshException.invalidArgument("the first " + rpc + " message must be a header"));
            }
            H head = header.apply(first.get());
            return handler.apply(head, all.skip(1).map(r -> {
                ByteBuffer frame = data.apply(r);
                if (frame == null) {
                    throw MeshException.invalidArgument("after the header, " + rpc + " messages must be data frames");
                }
                return frame;
            })).flux();
        }).single();
    }
}
