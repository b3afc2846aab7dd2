/**
 * Self-healing storage without a coordinator: the rule every holder of a stripe applies alone
 * (when a stripe needs repair, who repairs it, which surplus copies go), and the repair itself
 * (k verified shards fetched, the missing ones rebuilt with the same ids, placed on new distinct
 * hosts and pinned there with a repair pin), over the transfer engine's
 * {@link io.shardmesh.common.transfer.Mesh}.
 */
package io.shardmesh.common.repair;
