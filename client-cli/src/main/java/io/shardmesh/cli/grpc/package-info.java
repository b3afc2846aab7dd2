/**
 * The command line's own gRPC at the edge, for {@code shardmesh bench}: a bare grpc-java server
 * (the ceiling the node's calls are held against), a unary load generator, the bench's calls,
 * and node processes to measure (started, and asked when they see each other).
 */
package io.shardmesh.cli.grpc;
