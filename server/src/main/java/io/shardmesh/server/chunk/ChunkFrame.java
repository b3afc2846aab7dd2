package io.shardmesh.server.chunk;

import java.nio.ByteBuffer;

/**
 * One frame of a chunk being read.
 *
 * @param data read-only bytes; may share memory with the hot cache, so never written to
 * @param offset where {@code data} starts within the chunk
 * @param chunkSize the whole chunk's size
 */
public record ChunkFrame(ByteBuffer data, long offset, long chunkSize) {
}
