/**
 * The reactive transfer engine: the put pipeline (stripes, encryption, Reed-Solomon, placement,
 * uploads, manifest, pins), the get pipeline (providers, manifest, hedged shard fetches,
 * rebuild, decryption, verification) and the delete pipeline (tombstone, unpins), over a small
 * {@link io.shardmesh.common.transfer.Mesh} interface so the node's gateway and the command line
 * share them.
 */
package io.shardmesh.common.transfer;
