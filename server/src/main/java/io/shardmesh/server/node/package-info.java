/**
 * The composition root: {@link io.shardmesh.server.node.ShardmeshNode} wires identity, storage,
 * the features and the gRPC server into a running node from one
 * {@link io.shardmesh.server.node.NodeConfig}; {@link io.shardmesh.server.node.NodeBuilder}
 * holds the settings and the seams tests replace; {@link io.shardmesh.server.node.NodeCommand}
 * runs a node from the command line.
 */
package io.shardmesh.server.node;
