/**
 * Kademlia, free of any transport: contacts, the routing table, the answers a node gives
 * ({@link io.shardmesh.common.dht.KademliaResponder}), iterative lookups and publishing
 * ({@link io.shardmesh.common.dht.Kademlia}), who may enter the table, signed records and their
 * encoding ({@link io.shardmesh.common.dht.RecordCodec}).
 */
package io.shardmesh.common.dht;
