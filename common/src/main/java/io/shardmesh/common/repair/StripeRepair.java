package io.shardmesh.common.repair;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.transfer.FileHealth;
import io.shardmesh.common.transfer.Mesh;
import io.shardmesh.common.transfer.Placement;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Rebuilds and places shards: any k verified shards of a stripe are fetched (each checked against
 * its id), the missing ones are rebuilt (and checked against the ids the manifest lists: same
 * bytes), and each goes to a new holder by the placement rule (the closest node by XOR that
 * holds nothing of the stripe, on an address no holder of the stripe has, answering as itself),
 * which stores it and takes a repair pin. The new holder announces it before the pin answers.
 */
public final class StripeRepair {

    /** Nodes tried per shard before the shard counts as not placed. */
    static final int PLACE_ATTEMPTS = 3;
    /**
     * Upload session names. A DRBG seeded once, here: the platform default reads /dev/urandom on
     * every call, and sessions are made on CPU threads where blocking I/O is not allowed.
     */
    private static final SecureRandom RANDOM = seeded();

    private static SecureRandom seeded() {
        try {
            SecureRandom r = SecureRandom.getInstance("DRBG");
            r.nextBytes(new byte[16]);
            return r;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no DRBG SecureRandom in this JDK", e);
        }
    }

    /**
     * What one repair or move did.
     *
     * @param placed per shard index, its new holder
     * @param unplaced shard indexes that no node took
     */
    public record Placed(Map<Integer, Contact> placed, List<Integer> unplaced, long bytesFetched, long bytesWritten) {
        public Placed {
            placed = Map.copyOf(placed);
            unplaced = List.copyOf(unplaced);
        }
    }

    private final Mesh mesh;
    private final Scheduler cpu;
    private final ByteRate rate;
    private final Map<String, ErasureCodec> codecs = new ConcurrentHashMap<>();

    /** @param rate bounds the bytes a repair fetches and writes */
    public StripeRepair(Mesh mesh, Scheduler cpu, ByteRate rate) {
        this.mesh = requireNonNull(mesh, "mesh");
        this.cpu = requireNonNull(cpu, "cpu");
        this.rate = requireNonNull(rate, "rate");
    }

    /**
     * Rebuilds the shards of stripe {@code index} that no live holder has and places them on
     * nodes of {@code pool} (nodes that answered a probe just now).
     */
    public Mono<Placed> rebuild(ContentId fileId, Manifest manifest, int index, FileHealth.Stripe health, List<Contact> pool) {
        List<ContentId> ids = manifest.stripes().get(index);
        List<Integer> missing = RepairRule.missing(health.liveHolders());
        if (missing.isEmpty()) {
            return Mono.just(new Placed(Map.of(), List.of(), 0, 0));
        }
        int k = manifest.k();
        if (health.availableShards() < k) {
            return Mono.error(MeshException.unavailable("stripe " + index + " of " + fileId + " has " + health.availableShards()
                    + " of the " + k + " shards needed to rebuild it"));
        }
        int shardLength = manifest.shardLength(index);
        byte[][] got = new byte[ids.size()][];
        AtomicLong fetched = new AtomicLong();
        List<Integer> present = new ArrayList<>();
        for (int j = 0; j < ids.size(); j++) {
            if (!health.liveHolders().get(j).isEmpty()) {
                present.add(j);
            }
        }
        // The first k in parallel, then the others one at a time and only while fewer than k
        // arrived: no shard beyond the k a rebuild needs is fetched unless one of those failed.
        java.util.function.Function<Integer, Mono<byte[]>> fetch = j -> fetchVerified(health.liveHolders().get(j), ids.get(j),
                shardLength).doOnNext(b -> {
                    got[j] = b;
                    fetched.addAndGet(b.length);
                });
        int first = Math.min(k, present.size());
        return Flux.merge(Flux.fromIterable(present.subList(0, first)).map(fetch))
                .concatWith(Flux.fromIterable(present.subList(first, present.size())).concatMap(fetch))
                .take(k)
                .count()
                .flatMap(n -> n < k
                        ? Mono.error(MeshException.unavailable("stripe " + index + " of " + fileId + ": only " + n + " of the "
                                + k + " shards needed could be fetched intact"))
                        : Mono.fromCallable(() -> rebuilt(manifest, index, got, missing)).subscribeOn(cpu))
                .flatMap(shards -> place(fileId, manifest, index, shards, health.liveHolders(), pool))
                .map(p -> new Placed(p.placed(), p.unplaced(), fetched.get(), p.bytesWritten()));
    }

    /** The first of {@code holders} to serve {@code id} intact. */
    private Mono<byte[]> fetchVerified(List<Contact> holders, ContentId id, int length) {
        return rate.acquire(length).then(Flux.fromIterable(holders)
                .concatMap(h -> mesh.getChunk(h, id)
                        .filter(b -> b.length == length && Sha256.of(b).equals(id))
                        .onErrorResume(e -> Mono.empty()))
                .next());
    }

    /** The missing shards, rebuilt from {@code got} and checked against their ids. */
    private Map<Integer, byte[]> rebuilt(Manifest manifest, int index, byte[][] got, List<Integer> missing) {
        ErasureCodec codec = codecs.computeIfAbsent(manifest.k() + "+" + manifest.m(),
                x -> ErasureCodec.create(manifest.k(), manifest.m()));
        int encodedLength = manifest.encodedStripeLength(index);
        byte[] stripe = codec.decode(got, encodedLength);
        byte[][] all = codec.encode(stripe, 0, encodedLength);
        Map<Integer, byte[]> out = new LinkedHashMap<>();
        for (int j : missing) {
            ContentId want = manifest.stripes().get(index).get(j);
            if (!Sha256.of(all[j]).equals(want)) {
                throw MeshException.dataLoss("shard " + j + " of stripe " + index + " rebuilt to bytes that do not match "
                        + want + ": the manifest and the shards disagree");
            }
            out.put(j, all[j]);
        }
        return out;
    }

    /**
     * Places {@code shards} (by index in stripe {@code index}) on new holders from {@code pool}:
     * none that holds a shard of the stripe, none on the address of one that does, one shard per
     * node, closest to each shard id first.
     *
     * @param liveHolders per shard of the stripe, its live holders (kept clear of)
     */
    public Mono<Placed> place(ContentId fileId, Manifest manifest, int index, Map<Integer, byte[]> shards,
                              List<List<Contact>> liveHolders, List<Contact> pool) {
        List<ContentId> ids = manifest.stripes().get(index);
        Set<NodeId> taken = new HashSet<>();
        Set<String> takenAddresses = new HashSet<>();
        liveHolders.forEach(hs -> hs.forEach(h -> {
            taken.add(h.id());
            takenAddresses.add(h.address());
        }));
        Claims claims = new Claims(taken, takenAddresses);
        List<Contact> hosts = Placement.distinctHosts(pool);
        String session = newSession();
        Map<Integer, Contact> placed = new ConcurrentHashMap<>();
        List<Integer> unplaced = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong written = new AtomicLong();
        return Flux.fromIterable(shards.entrySet())
                .concatMap(e -> placeOne(fileId, ids.get(e.getKey()), e.getValue(), hosts, claims, session)
                        .doOnNext(c -> {
                            placed.put(e.getKey(), c);
                            written.addAndGet(e.getValue().length);
                        })
                        .switchIfEmpty(Mono.fromRunnable(() -> unplaced.add(e.getKey()))))
                .then(Mono.fromSupplier(() -> new Placed(placed, unplaced, 0, written.get())));
    }

    /**
     * Places a manifest's bytes on {@code wanted} more nodes closest to the file id that do not
     * keep it yet.
     */
    public Mono<Placed> placeManifest(ContentId fileId, byte[] bytes, Collection<Contact> keepers, int wanted, List<Contact> pool) {
        Set<NodeId> taken = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        keepers.forEach(c -> {
            taken.add(c.id());
            addresses.add(c.address());
        });
        Claims claims = new Claims(taken, addresses);
        List<Contact> hosts = Placement.distinctHosts(pool);
        String session = newSession();
        Map<Integer, Contact> placed = new ConcurrentHashMap<>();
        List<Integer> unplaced = java.util.Collections.synchronizedList(new ArrayList<>());
        return Flux.range(0, wanted)
                .concatMap(i -> placeOne(fileId, fileId, bytes, hosts, claims, session)
                        .doOnNext(c -> placed.put(i, c))
                        .switchIfEmpty(Mono.fromRunnable(() -> unplaced.add(i))))
                .then(Mono.fromSupplier(() -> new Placed(placed, unplaced, 0, (long) placed.size() * bytes.length)));
    }

    /** Nodes and addresses a placement may no longer use. */
    private static final class Claims {
        final Set<NodeId> ids;
        final Set<String> addresses;

        Claims(Set<NodeId> ids, Set<String> addresses) {
            this.ids = ids;
            this.addresses = addresses;
        }

        synchronized List<Contact> free(ContentId shard, List<Contact> hosts) {
            return Placement.rank(shard, hosts.stream().filter(c -> !addresses.contains(c.address())).toList(), Map.of(), ids);
        }

        /** A node that failed is not tried again in this placement, but its address is free for others. */
        synchronized void release(Contact c) {
            addresses.remove(c.address());
        }

        synchronized boolean claim(Contact c) {
            if (ids.contains(c.id()) || addresses.contains(c.address())) {
                return false;
            }
            ids.add(c.id());
            addresses.add(c.address());
            return true;
        }
    }

    /** Uploads and repair-pins one chunk on the first free node that takes it; empty when none did. */
    private Mono<Contact> placeOne(ContentId fileId, ContentId id, byte[] bytes, List<Contact> hosts, Claims claims,
                                   String session) {
        List<Contact> ranked = claims.free(id, hosts);
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        // The claim is taken when a node's turn comes, not ahead of it: a node passed over
        // because an earlier one took the chunk stays free for the stripe's other shards.
        return Flux.fromIterable(ranked)
                .concatMap(to -> attempts.get() >= PLACE_ATTEMPTS || !claims.claim(to) ? Mono.<Contact>empty()
                        : Mono.defer(() -> {
                            attempts.incrementAndGet();
                            return rate.acquire(bytes.length)
                                    .then(mesh.putChunk(to, id, bytes, session))
                                    .then(mesh.repairPin(to, fileId, List.of(id)))
                                    .flatMap(notHeld -> notHeld.isEmpty() ? Mono.just(to)
                                            : Mono.error(MeshException.unavailable(to + " lost the chunk before its pin")))
                                    .onErrorResume(e -> {
                                        claims.release(to);
                                        return mesh.abortUpload(to, session).onErrorResume(x -> Mono.empty()).then(Mono.empty());
                                    });
                        }), 0)
                .next();
    }

    private static String newSession() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
