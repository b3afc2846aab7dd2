/**
 * Transport identity: the certificate that carries a node's (or client's) Ed25519 identity key
 * into a TLS 1.3 handshake, and the trust rule that turns the peer's certificate back into the
 * node id it proves (issue 14; the nodes' gRPC ports are not switched to it yet).
 */
package io.shardmesh.common.tls;
