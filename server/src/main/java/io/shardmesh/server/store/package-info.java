/**
 * The disk chunk store: one file per chunk under {@code <data-dir>/chunks/ab/cd/<id>}, written
 * to {@code tmp/}, fsynced and atomically renamed, verified against its id when written and when
 * read, quarantined when it does not match, bounded by a quota.
 */
package io.shardmesh.server.store;
