package io.shardmesh.common.dht;

import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A {@link RecordStore} in memory: simulated networks and tests. */
public final class InMemoryRecordStore implements RecordStore {

    private record Slot(ContentId key, RecordKind kind, NodeId publisher) {
    }

    private final Map<Slot, DhtRecord> records = new HashMap<>();
    private final Map<NodeId, Integer> perPublisher = new HashMap<>();

    @Override
    public synchronized boolean put(DhtRecord record, long nowUnixMs, KademliaConfig limits) {
        Slot slot = new Slot(record.key(), record.kind(), record.publisherId());
        DhtRecord held = records.get(slot);
        if (held != null) {
            if (held.publishedAtUnixMs() >= record.publishedAtUnixMs()) {
                return false;
            }
            records.put(slot, record);
            return true;
        }
        if (perPublisher.getOrDefault(record.publisherId(), 0) >= limits.maxRecordsPerPublisher()) {
            throw MeshException.resourceExhausted("publisher " + record.publisherId() + " already has "
                    + limits.maxRecordsPerPublisher() + " records on this node");
        }
        if (records.size() >= limits.maxRecords()) {
            throw MeshException.resourceExhausted("this node holds its maximum of " + limits.maxRecords() + " records");
        }
        records.put(slot, record);
        perPublisher.merge(record.publisherId(), 1, Integer::sum);
        return true;
    }

    @Override
    public synchronized List<DhtRecord> get(ContentId key, Optional<RecordKind> kind, long nowUnixMs) {
        List<DhtRecord> out = new ArrayList<>();
        for (Map.Entry<Slot, DhtRecord> e : records.entrySet()) {
            if (e.getKey().key().equals(key) && kind.map(k -> k == e.getKey().kind()).orElse(true)
                    && !e.getValue().expiredAt(nowUnixMs)) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    @Override
    public synchronized int expire(long nowUnixMs) {
        int n = 0;
        var it = records.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (e.getValue().expiredAt(nowUnixMs)) {
                it.remove();
                perPublisher.computeIfPresent(e.getKey().publisher(), (p, c) -> c <= 1 ? null : c - 1);
                n++;
            }
        }
        return n;
    }

    @Override
    public synchronized long count() {
        return records.size();
    }
}
