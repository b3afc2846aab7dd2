package io.shardmesh.server.chunk;

import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.server.meta.MetadataDb;
import io.shardmesh.server.store.ChunkStore;
import java.time.Clock;
import org.slf4j.Logger;
import reactor.core.scheduler.Scheduler;

/**
 * A node's chunk handling, the parts built together over one store and database: reads
 * (verified, with the hot cache), uploads, pins, and garbage collection. Disk and database work
 * runs on the given blocking scheduler (boundedElastic in production).
 */
public record ChunkService(ChunkReads reads, ChunkUploads uploads, Pins pins, GarbageCollector gc) {

    /**
     * Builds the parts; {@code timer} runs their timeouts, {@code blocking} their disk and
     * database work, and {@code node} tags their log lines.
     */
    public static ChunkService create(ChunkStore store, MetadataDb db, ChunkConfig config, Clock clock, Scheduler timer,
                                      Scheduler blocking, NodeId node) {
        Logger log = NodeLog.logger(ChunkService.class, node);
        PinStore pinStore = new PinStore(db);
        Retention retention = new Retention(store, clock);
        ChunkReads reads = new ChunkReads(store, config, blocking);
        Pins pins = new Pins(store, pinStore, retention, clock, blocking, log);
        ChunkUploads uploads = new ChunkUploads(store, retention, pins, config, clock, timer, blocking, log);
        GarbageCollector gc = new GarbageCollector(store, pinStore, retention, reads, config, clock, blocking, log);
        return new ChunkService(reads, uploads, pins, gc);
    }
}
