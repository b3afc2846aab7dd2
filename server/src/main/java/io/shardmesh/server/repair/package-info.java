/**
 * Self-healing on a node: the repair loop over the files it holds shards of (live health,
 * the coordinator-free rule, rebuild and placement, surplus copies dropped), repair pins
 * checked against manifests and tombstones, the scrub that re-hashes stored chunks, and drain.
 */
package io.shardmesh.server.repair;
