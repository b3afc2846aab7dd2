/**
 * The node's gRPC edge: thin service adapters (each converts wire messages to the feature
 * packages' records, calls the feature, converts back, and maps every error through the one
 * {@link io.shardmesh.common.grpc.StatusMapper}), the server they run in
 * ({@link io.shardmesh.server.grpc.NodeServer}: limits, health, reflection, interceptors), and
 * the transport seam tests replace ({@link io.shardmesh.server.grpc.NodeTransport}).
 */
package io.shardmesh.server.grpc;
