/**
 * Command-line pieces that the node ({@code shardmesh node}) and the client commands share:
 * option converters and the logging options. picocli is an optional dependency of this module;
 * nothing outside this package uses it.
 */
package io.shardmesh.common.cli;
