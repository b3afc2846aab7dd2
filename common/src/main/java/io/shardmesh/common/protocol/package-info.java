/**
 * Properties of the {@code shardmesh.v1} wire protocol shared by nodes and clients:
 * {@link io.shardmesh.common.protocol.ProtocolLimits}.
 */
package io.shardmesh.common.protocol;
