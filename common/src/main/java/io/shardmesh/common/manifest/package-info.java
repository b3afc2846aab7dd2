/**
 * File manifests: what a file is made of (size, coding, stripes of shard ids, encryption
 * parameters, owner). A manifest's deterministic bytes hash to the file id.
 */
package io.shardmesh.common.manifest;
