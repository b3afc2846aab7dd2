/**
 * 256-bit identifiers: {@link io.shardmesh.common.id.NodeId} for nodes and
 * {@link io.shardmesh.common.id.ContentId} for content (chunks, manifests, DHT keys), the XOR
 * metric of Kademlia over them, and their wire form (64 lowercase hex characters).
 */
package io.shardmesh.common.id;
