package io.shardmesh.common.dht;

import java.time.Duration;

/**
 * Kademlia settings.
 *
 * @param k bucket size and replication factor
 * @param alpha lookup parallelism: requests in flight at once
 * @param rpcTimeout deadline of one DHT call
 * @param lookupBudget deadline of a whole iterative lookup; the best result so far is returned when it runs out
 * @param recordTtl how long a published record lives unless republished
 * @param republishInterval how often publishers republish their records
 * @param bucketRefreshInterval buckets untouched this long are refreshed with a random lookup
 * @param maxFailures consecutive failed calls after which a contact leaves the routing table
 * @param maxValueBytes largest VALUE record
 * @param maxChunkIdsPerProvider most chunk ids in one provider record
 * @param maxRecordsPerPublisher most records one publisher may keep on a node
 * @param maxRecords most records a node keeps in all
 * @param maxContactsPerReply contacts a node accepts from one FindNode/FindValue reply
 * @param lookupCacheAge how long a value lookup's records serve reads of the same key (hot Kv
 *     keys, files being read) before a new lookup; zero turns the cache off
 * @param disjointPaths how many disjoint paths one lookup walks (S/Kademlia): no node is asked
 *     by two of them, so hostile nodes that answer with each other capture only the paths that
 *     reach them; each path keeps up to α requests in flight; 1 is plain Kademlia
 */
public record KademliaConfig(int k, int alpha, Duration rpcTimeout, Duration lookupBudget, Duration recordTtl,
                        Duration republishInterval, Duration bucketRefreshInterval, int maxFailures,
                        int maxValueBytes, int maxChunkIdsPerProvider, int maxRecordsPerPublisher, long maxRecords,
                        int maxContactsPerReply, Duration lookupCacheAge, int disjointPaths) {

    public static final int DEFAULT_K = 20;
    public static final int DEFAULT_ALPHA = 3;
    public static final int DEFAULT_DISJOINT_PATHS = 3;
    public static final Duration DEFAULT_RPC_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_LOOKUP_BUDGET = Duration.ofSeconds(30);
    public static final Duration DEFAULT_RECORD_TTL = Duration.ofHours(24);
    public static final Duration DEFAULT_REPUBLISH_INTERVAL = Duration.ofHours(12);
    public static final Duration DEFAULT_BUCKET_REFRESH_INTERVAL = Duration.ofHours(1);
    /** Short: a record published elsewhere since a lookup is seen by readers here at most this late. */
    public static final Duration DEFAULT_LOOKUP_CACHE_AGE = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_FAILURES = 3;
    public static final int DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
    public static final int DEFAULT_MAX_CHUNK_IDS_PER_PROVIDER = 8192;
    public static final int DEFAULT_MAX_RECORDS_PER_PUBLISHER = 10_000;
    public static final long DEFAULT_MAX_RECORDS = 1_000_000;
    /** The longest a record may claim to live: republishing is what keeps records alive. */
    public static final Duration MAX_RECORD_TTL = Duration.ofHours(48);

    public KademliaConfig {
        if (k < 1 || k > 64) {
            throw new IllegalArgumentException("k must be 1..64, got " + k);
        }
        if (alpha < 1 || alpha > 16) {
            throw new IllegalArgumentException("alpha must be 1..16, got " + alpha);
        }
        if (disjointPaths < 1 || disjointPaths > 16) {
            throw new IllegalArgumentException("disjoint paths must be 1..16, got " + disjointPaths);
        }
        for (Duration d : new Duration[] {rpcTimeout, lookupBudget, recordTtl, republishInterval, bucketRefreshInterval}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("DHT durations must be positive, got " + d);
            }
        }
        if (recordTtl.compareTo(MAX_RECORD_TTL) > 0) {
            throw new IllegalArgumentException("record TTL must be at most " + MAX_RECORD_TTL + ", got " + recordTtl);
        }
        if (republishInterval.compareTo(recordTtl) >= 0) {
            throw new IllegalArgumentException("republish interval (" + republishInterval
                    + ") must be shorter than the record TTL (" + recordTtl + ")");
        }
        if (maxFailures < 1 || maxValueBytes < 1 || maxChunkIdsPerProvider < 1 || maxRecordsPerPublisher < 1
                || maxRecords < 1 || maxContactsPerReply < 1) {
            throw new IllegalArgumentException("DHT limits must be positive");
        }
        if (lookupCacheAge.isNegative() || lookupCacheAge.compareTo(recordTtl) > 0) {
            throw new IllegalArgumentException("lookup cache age must be 0.." + recordTtl + ", got " + lookupCacheAge);
        }
    }

    /** The defaults of DESIGN.md: k = 20, α = 3, 24 h records republished every 12 h. */
    public static KademliaConfig defaults() {
        return new KademliaConfig(DEFAULT_K, DEFAULT_ALPHA, DEFAULT_RPC_TIMEOUT, DEFAULT_LOOKUP_BUDGET, DEFAULT_RECORD_TTL,
                DEFAULT_REPUBLISH_INTERVAL, DEFAULT_BUCKET_REFRESH_INTERVAL, DEFAULT_MAX_FAILURES,
                DEFAULT_MAX_VALUE_BYTES, DEFAULT_MAX_CHUNK_IDS_PER_PROVIDER, DEFAULT_MAX_RECORDS_PER_PUBLISHER,
                DEFAULT_MAX_RECORDS, DEFAULT_K, DEFAULT_LOOKUP_CACHE_AGE, DEFAULT_DISJOINT_PATHS);
    }

    public KademliaConfig withK(int newK) {
        return new KademliaConfig(newK, alpha, rpcTimeout, lookupBudget, recordTtl, republishInterval, bucketRefreshInterval,
                maxFailures, maxValueBytes, maxChunkIdsPerProvider, maxRecordsPerPublisher, maxRecords, newK, lookupCacheAge, disjointPaths);
    }

    public KademliaConfig withAlpha(int newAlpha) {
        return new KademliaConfig(k, newAlpha, rpcTimeout, lookupBudget, recordTtl, republishInterval, bucketRefreshInterval,
                maxFailures, maxValueBytes, maxChunkIdsPerProvider, maxRecordsPerPublisher, maxRecords, maxContactsPerReply, lookupCacheAge, disjointPaths);
    }

    public KademliaConfig withTimeouts(Duration rpc, Duration budget) {
        return new KademliaConfig(k, alpha, rpc, budget, recordTtl, republishInterval, bucketRefreshInterval,
                maxFailures, maxValueBytes, maxChunkIdsPerProvider, maxRecordsPerPublisher, maxRecords, maxContactsPerReply, lookupCacheAge, disjointPaths);
    }

    public KademliaConfig withRecordLimits(int valueBytes, int perPublisher, long total) {
        return new KademliaConfig(k, alpha, rpcTimeout, lookupBudget, recordTtl, republishInterval, bucketRefreshInterval,
                maxFailures, valueBytes, maxChunkIdsPerProvider, perPublisher, total, maxContactsPerReply, lookupCacheAge, disjointPaths);
    }

    public KademliaConfig withLookupCache(Duration age) {
        return new KademliaConfig(k, alpha, rpcTimeout, lookupBudget, recordTtl, republishInterval, bucketRefreshInterval,
                maxFailures, maxValueBytes, maxChunkIdsPerProvider, maxRecordsPerPublisher, maxRecords, maxContactsPerReply, age, disjointPaths);
    }

    public KademliaConfig withDisjointPaths(int paths) {
        return new KademliaConfig(k, alpha, rpcTimeout, lookupBudget, recordTtl, republishInterval, bucketRefreshInterval,
                maxFailures, maxValueBytes, maxChunkIdsPerProvider, maxRecordsPerPublisher, maxRecords, maxContactsPerReply,
                lookupCacheAge, paths);
    }
}
