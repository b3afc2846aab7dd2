/**
 * Files as a node sees them: the node as a gateway over the shared pipelines
 * ({@link io.shardmesh.server.files.FilesService}: put, get, owner-signed delete), and the index
 * of files it knows for {@code Files.List} (put through it, or whose manifest it keeps).
 */
package io.shardmesh.server.files;
