/** Network addresses as people type them ({@code host:port}). */
package io.shardmesh.common.net;
