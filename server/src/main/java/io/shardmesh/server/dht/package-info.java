/**
 * The node's DHT: {@link io.shardmesh.common.dht.Kademlia} with SQLite-backed records and peer
 * table, and the timers that keep it healthy (bucket refresh, republish, expiry, gossip,
 * rejoining saved peers after a restart).
 */
package io.shardmesh.server.dht;
