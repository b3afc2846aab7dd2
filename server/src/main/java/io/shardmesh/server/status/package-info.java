/**
 * A node's status snapshot ({@link io.shardmesh.server.status.NodeStatus}) and the small
 * interface through which the gRPC adapter and the metrics read it, so neither depends on the
 * node that assembles them.
 */
package io.shardmesh.server.status;
