package io.shardmesh.server.repair;

/**
 * What a node's repair and scrub have done since it started, as {@code Node.Status} reports it
 * (field meanings in {@code node.proto}, RepairStatus).
 */
public record RepairStatus(int queued, int running, long done, long failed, long shardsRepaired, long bytesFetched,
                           long bytesWritten, long surplusDropped, long unrecoverable, long scrubbedChunks,
                           long quarantinedChunks, long lastCheckUnixMs) {

    public static final RepairStatus NONE = new RepairStatus(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
