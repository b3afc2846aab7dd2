/** Loggers that put the node's id on every line, so logs from a mesh in one process stay readable. */
package io.shardmesh.common.log;
