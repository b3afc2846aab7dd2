/**
 * File manifests: what a file is made of (size, coding, stripes of shard ids, encryption
 * parameters, owner), and their deterministic encoding
 * ({@link io.shardmesh.common.manifest.ManifestCodec}), whose SHA-256 is the file id.
 */
package io.shardmesh.common.manifest;
