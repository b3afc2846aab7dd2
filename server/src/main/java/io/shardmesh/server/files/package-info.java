/**
 * Files as a node sees them: the index of manifests it knows (for Files.List), and delete by
 * the owner (unpin everywhere, tombstone).
 */
package io.shardmesh.server.files;
