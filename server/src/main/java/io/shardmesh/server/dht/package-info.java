/**
 * The node's DHT: {@link io.shardmesh.common.dht.Kademlia} over SQLite-backed records, the
 * persisted peer table, the records the node publishes and republishes (its provider records,
 * tombstones and Kv values), and the timers that keep it healthy (join and rejoin, gossip,
 * bucket refresh, expiry, republish). {@link io.shardmesh.server.dht.DhtService} builds them.
 */
package io.shardmesh.server.dht;
