/** The node's metrics in the Prometheus text format ({@code node --metrics HOST:PORT}). */
package io.shardmesh.server.metrics;
