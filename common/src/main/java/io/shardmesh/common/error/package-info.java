/**
 * The mesh's one error vocabulary: every failure that crosses a feature boundary is a
 * {@link io.shardmesh.common.error.MeshException} with an {@link io.shardmesh.common.error.ErrorKind},
 * which the gRPC edge maps to a status code and the CLI to an exit code.
 */
package io.shardmesh.common.error;
