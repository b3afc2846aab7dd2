/**
 * What a node does with chunks, as reactive operations: verified streaming reads with a hot
 * cache, verified uploads under a quota, owner-signed pins, and garbage collection of chunks no
 * pin references once their grace period has passed. {@link io.shardmesh.server.chunk.ChunkService}
 * builds the parts; the gRPC {@code Chunks} service is a thin adapter over them.
 */
package io.shardmesh.server.chunk;
