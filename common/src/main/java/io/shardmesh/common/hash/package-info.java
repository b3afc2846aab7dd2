/** SHA-256, the hash that names every chunk, manifest and node. */
package io.shardmesh.common.hash;
