/**
 * The composition root: {@link io.shardmesh.server.node.ShardmeshNode} wires identity, storage,
 * features and gRPC services into a running node; {@link io.shardmesh.server.node.NodeCommand}
 * runs one from the command line.
 */
package io.shardmesh.server.node;
