package io.shardmesh.server.chunk;

import java.nio.ByteBuffer;

/**
 * One frame of a chunk being read.
 *
 * @param data bytes to read and never to write: they may be the hot cache's own array (not a
 *     read-only buffer, which protobuf would copy out in small pieces)
 * @param offset where {@code data} starts within the chunk
 * @param chunkSize the whole chunk's size
 */
public record ChunkFrame(ByteBuffer data, long offset, long chunkSize) {
}
