/** The node's Ed25519 identity, made on first start and kept in the data dir. */
package io.shardmesh.server.identity;
