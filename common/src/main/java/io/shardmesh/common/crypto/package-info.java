/**
 * Ed25519 identities and signatures: node keys, owner proofs for pins and deletes, signed DHT
 * records. Uses the JDK's own EdDSA provider (JEP 339), so no crypto library is bundled.
 */
package io.shardmesh.common.crypto;
