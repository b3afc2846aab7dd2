/**
 * The mesh's client edge over gRPC, shared by nodes and the command line: the one
 * {@link io.shardmesh.common.grpc.StatusMapper} every service and client maps errors through,
 * {@link io.shardmesh.common.grpc.GrpcMesh} (the transfer pipelines' {@code Mesh}) and
 * {@link io.shardmesh.common.grpc.GrpcDhtTransport} (Kademlia's transport) over shared
 * {@link io.shardmesh.common.grpc.PeerChannels}, the wire conversions of
 * {@link io.shardmesh.common.grpc.Wire}, and the streams' flow control.
 */
package io.shardmesh.common.grpc;
