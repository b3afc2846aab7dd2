/**
 * Reed-Solomon erasure coding of stripes into k data and m parity shards, behind the project's
 * own {@link io.shardmesh.common.erasure.ErasureCodec} so the library under it can be swapped.
 */
package io.shardmesh.common.erasure;
