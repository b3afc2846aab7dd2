/** Sizes as people write them ({@code 1MiB}, {@code 10GB}) and as the mesh prints them. */
package io.shardmesh.common.units;
