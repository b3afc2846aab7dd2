package io.shardmesh.server.status;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.server.chunk.ChunkService;
import io.shardmesh.server.dht.DhtService;
import io.shardmesh.server.repair.RepairStatus;
import io.shardmesh.server.store.ChunkStore;
import java.time.Clock;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/** A running node's status, read from its parts. */
public final class NodeStatusSource implements StatusSource {

    private final Supplier<Contact> self;
    private final Supplier<String> listenAddress;
    private final String version;
    private final long startedAtUnixMs;
    private final Clock clock;
    private final ChunkService chunks;
    private final DhtService dht;
    private final Supplier<RepairStatus> repair;
    private final String transport;

    public NodeStatusSource(Supplier<Contact> self, Supplier<String> listenAddress, String version, Clock clock,
                            ChunkService chunks, DhtService dht, Supplier<RepairStatus> repair, String transport) {
        this.self = requireNonNull(self, "self");
        this.listenAddress = requireNonNull(listenAddress, "listenAddress");
        this.version = requireNonNull(version, "version");
        this.clock = requireNonNull(clock, "clock");
        this.startedAtUnixMs = clock.millis();
        this.chunks = requireNonNull(chunks, "chunks");
        this.dht = requireNonNull(dht, "dht");
        this.repair = requireNonNull(repair, "repair");
        this.transport = requireNonNull(transport, "transport");
    }

    @Override
    public Mono<NodeStatus> status() {
        return Mono.zip(chunks.pins().pinnedFiles(), dht.recordCount()).map(t -> {
            ChunkStore.StoreStats s = chunks.reads().stats();
            var table = dht.kademlia().table();
            return new NodeStatus(self.get(), listenAddress.get(), version, startedAtUnixMs, clock.millis() - startedAtUnixMs,
                    s.chunks(), s.bytes(), s.reservedBytes(), s.maxBytes(), t.getT1(), table.size(), table.buckets(), t.getT2(),
                    repair.get(), transport);
        });
    }
}
