package io.shardmesh.common.grpc;

import com.salesforce.reactorgrpc.stub.ReactorCallOptions;
import io.grpc.stub.AbstractStub;

/**
 * Flow-control settings for reactor-grpc streams. Its default prefetch of 512 messages would
 * buffer up to half a gigabyte of 1 MiB frames per stream; shard streams ask for a few at a time.
 */
public final class StreamFlow {

    /** Frames requested ahead on a chunk stream. */
    public static final int PREFETCH = 8;

    /** Refill when this few are left (reactor-grpc requires it below the prefetch). */
    public static final int LOW_TIDE = 4;

    private StreamFlow() {
    }

    /** Call options a service returns for its client-streaming methods (uploads), so they buffer a few frames. */
    public static io.grpc.CallOptions inbound() {
        return io.grpc.CallOptions.DEFAULT
                .withOption(ReactorCallOptions.CALL_OPTIONS_PREFETCH, PREFETCH)
                .withOption(ReactorCallOptions.CALL_OPTIONS_LOW_TIDE, LOW_TIDE);
    }

    /** The stub with the small prefetch for chunk and file streams. */
    public static <S extends AbstractStub<S>> S chunkStreams(S stub) {
        return stub.withOption(ReactorCallOptions.CALL_OPTIONS_PREFETCH, PREFETCH)
                .withOption(ReactorCallOptions.CALL_OPTIONS_LOW_TIDE, LOW_TIDE);
    }
}
