package io.shardmesh.server.repair;

/**
 * How far a drain is: chunks and bytes moved of what the node held when it started.
 *
 * @param done set on the last report, once everything was moved
 */
public record DrainProgress(long chunksTotal, long chunksMoved, long bytesMoved, int filesDone, int filesTotal,
                            boolean done) {
}
