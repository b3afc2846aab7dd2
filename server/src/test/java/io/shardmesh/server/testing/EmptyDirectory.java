package io.shardmesh.server.testing;

import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.transfer.FileDirectory;
import java.util.List;
import reactor.core.publisher.Mono;

/** A file directory that knows no file and publishes nowhere: for clients that only talk to chunk holders. */
public final class EmptyDirectory implements FileDirectory {

    public static final FileDirectory INSTANCE = new EmptyDirectory();

    private EmptyDirectory() {
    }

    @Override
    public Mono<List<DhtRecord>> records(ContentId fileId) {
        return Mono.just(List.of());
    }

    @Override
    public Mono<Integer> publish(ContentId key, DhtRecord.Payload payload) {
        return Mono.just(0);
    }
}
