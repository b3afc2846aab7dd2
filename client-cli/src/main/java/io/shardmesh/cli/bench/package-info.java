/**
 * What {@code shardmesh bench} measures besides the mesh itself: this machine's ceilings
 * (hashing, coding, fsync'd writes, a bare grpc-java server), a unary load generator, and node
 * processes to measure. Every figure is taken in the same run as the mesh's, so a ratio
 * compares like with like on a shared machine.
 */
package io.shardmesh.cli.bench;
