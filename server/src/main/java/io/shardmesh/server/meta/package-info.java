/**
 * The node's metadata database ({@code <data-dir>/shardmesh.db}, SQLite in WAL mode) with
 * numbered migrations. The SQL itself lives in the typed stores of the feature packages (pins,
 * peers, DHT records, published records, manifests), never in services.
 */
package io.shardmesh.server.meta;
