/**
 * This machine's ceilings for {@code shardmesh bench}: hashing, coding and fsync'd writes, one
 * core each, taken in the same run as the mesh's figures so a ratio compares like with like on
 * a shared machine. The bench's gRPC pieces are in {@code io.shardmesh.cli.grpc}.
 */
package io.shardmesh.cli.bench;
