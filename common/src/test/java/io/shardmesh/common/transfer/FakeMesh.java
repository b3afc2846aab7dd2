package io.shardmesh.common.transfer;

import io.shardmesh.common.crypto.NodeKey;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Nodes in memory for pipeline tests: each holds chunks in a map and pins; provider records are
 * derived from the pins. A node can be down (fails at once), stalled (never answers) or
 * malicious (its bytes pass through a tamper function).
 */
final class FakeMesh implements Mesh {

    final NodeKey owner = NodeKey.generate();
    final List<Contact> nodes = new ArrayList<>();
    final Map<NodeId, Map<ContentId, byte[]>> stored = new ConcurrentHashMap<>();
    final Map<NodeId, Map<ContentId, List<ContentId>>> pins = new ConcurrentHashMap<>();
    final Set<NodeId> down = ConcurrentHashMap.newKeySet();
    final Set<NodeId> stalled = ConcurrentHashMap.newKeySet();
    final Map<NodeId, UnaryOperator<byte[]>> tamper = new ConcurrentHashMap<>();
    final Map<NodeId, Integer> gets = new ConcurrentHashMap<>();
    /** HasChunks calls per node, answered or not. */
    final Map<NodeId, Integer> hasCalls = new ConcurrentHashMap<>();
    /** GetChunk calls to stalled nodes (they never reach {@link #gets}). */
    final Map<NodeId, Integer> stalledGets = new ConcurrentHashMap<>();
    /** Where a stalled call's 30 s deadline runs (a virtual-time scheduler in tests). */
    volatile Scheduler timer = Schedulers.parallel();
    final List<DhtRecord.Payload> published = new CopyOnWriteArrayList<>();

    FakeMesh(int n) {
        for (int i = 0; i < n; i++) {
            Contact c = new Contact(NodeId.random(), "10.0.0." + (i + 1), 7000);
            nodes.add(c);
            stored.put(c.id(), new ConcurrentHashMap<>());
            pins.put(c.id(), new ConcurrentHashMap<>());
        }
    }

    @Override
    public NodeKey owner() {
        return owner;
    }

    @Override
    public List<Contact> candidates() {
        return nodes;
    }

    private <T> Mono<T> reach(Contact c, Supplier<T> work) {
        if (down.contains(c.id())) {
            return Mono.error(MeshException.unavailable(c + " is down"));
        }
        if (stalled.contains(c.id())) {
            return Mono.<T>never().timeout(Duration.ofSeconds(30), Mono.error(MeshException.deadlineExceeded(c + " stalled")), timer);
        }
        return Mono.fromSupplier(work);
    }

    /** Per node and upload session, the chunks the session stored there. */
    final Map<NodeId, Map<String, Set<ContentId>>> sessions = new ConcurrentHashMap<>();
    /** Nodes that refuse uploads as a full node does (RESOURCE_EXHAUSTED). */
    final Set<NodeId> full = ConcurrentHashMap.newKeySet();
    /** Nodes that answer everything but fail uploads (UNAVAILABLE), as a node with a failing disk. */
    final Set<NodeId> failUploads = ConcurrentHashMap.newKeySet();
    /** Run once, at the first Pin call (to fail holders between upload and pin). */
    volatile Runnable beforeFirstPin = () -> { };
    private final AtomicBoolean pinned = new AtomicBoolean();
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public Mono<List<Contact>> probe(List<Contact> candidates) {
        return Mono.fromSupplier(() -> candidates.stream()
                .filter(c -> !down.contains(c.id()) && !stalled.contains(c.id())).toList());
    }

    @Override
    public Mono<Void> putChunk(Contact to, ContentId id, byte[] bytes, String session) {
        if (full.contains(to.id())) {
            return Mono.error(MeshException.resourceExhausted(to + ": storage quota is full"));
        }
        if (failUploads.contains(to.id())) {
            return Mono.error(MeshException.unavailable(to + ": the upload failed"));
        }
        return reach(to, () -> {
            calls.add("put " + to.id());
            stored.get(to.id()).put(id, bytes.clone());
            sessions.computeIfAbsent(to.id(), x -> new ConcurrentHashMap<>())
                    .computeIfAbsent(session, x -> ConcurrentHashMap.newKeySet()).add(id);
            return id;
        }).then();
    }

    @Override
    public Mono<Void> abortUpload(Contact at, String session) {
        return reach(at, () -> {
            Set<ContentId> ids = sessions.getOrDefault(at.id(), Map.of()).remove(session);
            if (ids != null) {
                Set<ContentId> pinnedHere = new HashSet<>();
                pins.get(at.id()).values().forEach(pinnedHere::addAll);
                ids.stream().filter(c -> !pinnedHere.contains(c)).forEach(c -> stored.get(at.id()).remove(c));
            }
            return at;
        }).then();
    }

    @Override
    public Mono<List<ContentId>> has(Contact holder, List<ContentId> chunks) {
        hasCalls.merge(holder.id(), 1, Integer::sum);
        return reach(holder, () -> chunks.stream().filter(c -> stored.get(holder.id()).containsKey(c)).toList());
    }

    @Override
    public Mono<byte[]> getChunk(Contact from, ContentId id) {
        if (stalled.contains(from.id())) {
            stalledGets.merge(from.id(), 1, Integer::sum);
        }
        return reach(from, () -> {
            gets.merge(from.id(), 1, Integer::sum);
            byte[] b = stored.get(from.id()).get(id);
            if (b == null) {
                throw MeshException.notFound("no " + id + " on " + from);
            }
            return tamper.getOrDefault(from.id(), x -> x).apply(b.clone());
        });
    }

    @Override
    public Mono<List<ContentId>> pin(Contact holder, ContentId fileId, List<ContentId> chunks) {
        if (pinned.compareAndSet(false, true)) {
            beforeFirstPin.run();
        }
        return reach(holder, () -> {
            List<ContentId> missing = chunks.stream().filter(c -> !stored.get(holder.id()).containsKey(c)).toList();
            pins.get(holder.id()).computeIfAbsent(fileId, x -> new ArrayList<>()).addAll(chunks);
            return missing;
        });
    }

    @Override
    public Mono<List<ContentId>> repairPin(Contact holder, ContentId fileId, List<ContentId> chunks) {
        return pin(holder, fileId, chunks);
    }

    @Override
    public Mono<Integer> unpin(Contact holder, ContentId fileId) {
        return reach(holder, () -> {
            List<ContentId> removed = pins.get(holder.id()).remove(fileId);
            return removed == null ? 0 : removed.size();
        });
    }

    @Override
    public Mono<List<DhtRecord>> records(ContentId fileId) {
        return Mono.fromSupplier(() -> {
            List<DhtRecord> out = new ArrayList<>();
            for (Contact c : nodes) {
                List<ContentId> p = pins.get(c.id()).get(fileId);
                if (p != null) {
                    // Signed by a throwaway key of the holder's id is not possible; the pipeline
                    // does not verify records (the DHT lookup does), so an unsigned one will do.
                    out.add(new DhtRecord(fileId, c.id(), new byte[32], 0, Long.MAX_VALUE,
                            new DhtRecord.Provider(c, p), new byte[0]));
                }
            }
            return out;
        });
    }

    @Override
    public Mono<Integer> publish(ContentId key, DhtRecord.Payload payload) {
        return Mono.fromSupplier(() -> {
            published.add(payload);
            return 1;
        });
    }

    @Override
    public Clock clock() {
        return Clock.systemUTC();
    }

    Map<NodeId, Integer> holdersOfCount() {
        Map<NodeId, Integer> out = new HashMap<>();
        stored.forEach((n, m) -> out.put(n, m.size()));
        return out;
    }
}
