/**
 * The node's metadata database ({@code <data-dir>/shardmesh.db}, SQLite in WAL mode): pins,
 * peers, DHT records, manifests and settings, with numbered migrations.
 */
package io.shardmesh.server.meta;
