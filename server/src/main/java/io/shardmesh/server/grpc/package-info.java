/**
 * Thin gRPC adapters: each service converts wire messages to the feature packages' records,
 * calls the feature, converts back, and maps every error through the one
 * {@link io.shardmesh.common.grpc.StatusMapper}. No logic lives here.
 */
package io.shardmesh.server.grpc;
