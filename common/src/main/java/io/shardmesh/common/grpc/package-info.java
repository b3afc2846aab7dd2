/**
 * The edge between the mesh's own types and gRPC: the one status mapper that every service
 * and every client uses.
 */
package io.shardmesh.common.grpc;
