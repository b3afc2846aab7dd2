package io.shardmesh.server.grpc;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.grpc.StatusMapper;
import io.shardmesh.proto.v1.KvGetRequest;
import io.shardmesh.proto.v1.KvGetResponse;
import io.shardmesh.proto.v1.KvPutRequest;
import io.shardmesh.proto.v1.KvPutResponse;
import io.shardmesh.proto.v1.ReactorKvGrpc;
import io.shardmesh.server.dht.KeyValues;
import java.time.Duration;
import reactor.core.publisher.Mono;

/** {@code shardmesh.v1.Kv} over {@link DhtService}. */
public final class KvGrpcService extends ReactorKvGrpc.KvImplBase {

    private final KeyValues kv;

    public KvGrpcService(KeyValues kv) {
        this.kv = requireNonNull(kv, "kv");
    }

    @Override
    public Mono<KvPutResponse> put(KvPutRequest request) {
        return Mono.defer(() -> kv.put(request.getKey(), request.getValue().toByteArray(),
                        Duration.ofSeconds(request.getTtlSeconds())))
                .map(n -> KvPutResponse.newBuilder()
                        .setDhtKey(KeyValues.dhtKey(request.getKey()).hex())
                        .setStoredCount(n)
                        .build());
    }

    @Override
    public Mono<KvGetResponse> get(KvGetRequest request) {
        return Mono.defer(() -> kv.get(request.getKey())).map(r -> KvGetResponse.newBuilder()
                .setValue(ByteString.copyFrom(((DhtRecord.Value) r.payload()).bytes()))
                .setDhtKey(r.key().hex())
                .setPublisherId(r.publisherId().hex())
                .setPublishedAtUnixMs(r.publishedAtUnixMs())
                .build());
    }

    @Override
    protected Throwable onErrorMap(Throwable throwable) {
        return StatusMapper.toStatusException(throwable);
    }
}
