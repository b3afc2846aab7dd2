/**
 * What a node does with chunks, as reactive operations: verified streaming reads with a hot
 * cache, verified uploads under a quota, owner-signed pins, and garbage collection of chunks no
 * pin references. The gRPC {@code Chunks} service is a thin adapter over this.
 */
package io.shardmesh.server.chunk;
