package io.shardmesh.common.dht;

/** What a DHT record holds (the wire enum's values, less UNSPECIFIED). */
public enum RecordKind {
    /** A small value (Kv). */
    VALUE,
    /** Who holds which shards of a file. */
    PROVIDER,
    /** A deleted file. */
    TOMBSTONE;

    /** The wire name, used in the signed bytes. */
    public String wireName() {
        return "RECORD_KIND_" + name();
    }
}
