/** Kademlia: contacts, routing and iterative lookups, free of any transport. */
package io.shardmesh.common.dht;
