package io.shardmesh.common.transfer;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtRecord;
import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.manifest.ManifestCodec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The reader pipeline (DESIGN.md, "Get"): one DHT lookup for the provider records, the
 * manifest from a holder (checked against the file id), then stripes in order with a bounded
 * look-ahead, each rebuilt from the first k shards that arrive and verify. Bytes go out under
 * the consumer's backpressure: a slow consumer slows the fetches and never grows memory.
 */
public final class FileGet {

    private final Logger log;
    /** Bound of the manifest cache, in chunk ids listed (about 66 bytes each). */
    static final long MANIFEST_CACHE_CHUNK_IDS = 500_000;

    /** A file ready to be read: its manifest and who holds which shard. */
    public record Resolved(ContentId fileId, Manifest manifest, Map<ContentId, List<Contact>> holders,
                           Optional<String> name, Optional<ContentId> contentSha256) {
    }

    private final Mesh mesh;
    private final TransferConfig config;
    private final Scheduler cpu;
    /** Runs the hedge and manifest-stagger delays (a virtual-time scheduler in tests). */
    private final Scheduler timer;
    private final Hedge hedge;
    private final Map<String, ErasureCodec> codecs = new ConcurrentHashMap<>();
    /**
     * Verified manifests. A manifest is named by its own hash, so an entry never goes stale;
     * who holds the shards can change, so provider records are looked up on every read.
     */
    private final com.github.benmanes.caffeine.cache.Cache<ContentId, Manifest> manifests =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
                    .maximumWeight(MANIFEST_CACHE_CHUNK_IDS)
                    .weigher((ContentId id, Manifest m) -> 1 + m.stripes().size() * (m.k() + m.m()))
                    .build();
    /** Holders that served bytes not matching their hash recently; asked last. */
    private final Set<NodeId> marked = ConcurrentHashMap.newKeySet();

    /**
     * @param cpu where stripes are decoded and decrypted
     * @param timer where the hedge and manifest-stagger delays run
     */
    public FileGet(Mesh mesh, TransferConfig config, Scheduler cpu, Scheduler timer) {
        this.mesh = requireNonNull(mesh, "mesh");
        this.log = NodeLog.logger(FileGet.class, mesh.owner().id());
        this.config = requireNonNull(config, "config");
        this.cpu = requireNonNull(cpu, "cpu");
        this.timer = requireNonNull(timer, "timer");
        this.hedge = new Hedge(config);
    }

    /** Holders this reader caught serving bad bytes. */
    public Set<NodeId> markedHolders() {
        return Set.copyOf(marked);
    }

    /**
     * Finds the providers and the verified manifest of {@code fileId}; with a key, also opens
     * the sealed name and content hash (PERMISSION_DENIED for a wrong key).
     */
    public Mono<Resolved> resolve(ContentId fileId, Optional<byte[]> key) {
        return resolve(fileId, key, mesh.records(fileId));
    }

    /** {@link #resolve}, from a recent lookup's records where the mesh keeps them: for a read. */
    public Mono<Resolved> resolveRecent(ContentId fileId, Optional<byte[]> key) {
        return resolve(fileId, key, mesh.recentRecords(fileId));
    }

    private Mono<Resolved> resolve(ContentId fileId, Optional<byte[]> key, Mono<List<DhtRecord>> found) {
        return found.flatMap(records -> {
            List<DhtRecord> tombs = records.stream().filter(r -> r.payload() instanceof DhtRecord.Tombstone).toList();
            Map<ContentId, List<Contact>> holders = new LinkedHashMap<>();
            long newestProvider = Long.MIN_VALUE;
            for (DhtRecord r : records) {
                // An empty provider record is a holder withdrawing: it holds nothing of the file.
                if (r.payload() instanceof DhtRecord.Provider p && !p.chunkIds().isEmpty()) {
                    newestProvider = Math.max(newestProvider, r.publishedAtUnixMs());
                    for (ContentId c : p.chunkIds()) {
                        holders.computeIfAbsent(c, x -> new ArrayList<>()).add(p.holder());
                    }
                }
            }
            if (holders.isEmpty()) {
                return Mono.error(MeshException.notFound("no node announces file " + fileId
                        + (tombs.isEmpty() ? "" : " (it was deleted)")));
            }
            List<Contact> announced = holders.getOrDefault(fileId, List.of());
            // Shards are announced but not the manifest: try where a put places it.
            List<Contact> manifestHolders = !announced.isEmpty() ? announced
                    : Placement.rank(fileId, mesh.candidates(), Map.of(), Set.of()).stream()
                            .limit(config.manifestReplicas()).toList();
            long providersAfter = newestProvider;
            // Holders are asked one hedge delay apart; the first intact manifest wins and the
            // other requests are cancelled, so a stalled holder costs one hedge delay, not a deadline.
            long stagger = hedge.delay().toMillis();
            Manifest cached = manifests.getIfPresent(fileId);
            Mono<Manifest> manifest = cached != null ? Mono.just(cached) : Flux.range(0, manifestHolders.size())
                    .flatMap(i -> Mono.delay(Duration.ofMillis(stagger * i), timer)
                            .then(mesh.getChunk(manifestHolders.get(i), fileId))
                            .map(bytes -> ManifestCodec.parse(fileId, bytes))
                            .onErrorResume(e -> {
                                log.info("manifest {} from {} unusable: {}", fileId, manifestHolders.get(i), e.getMessage());
                                return Mono.empty();
                            }))
                    .next()
                    .switchIfEmpty(Mono.error(() -> MeshException.unavailable("no holder of the manifest of " + fileId
                            + " served it intact (" + manifestHolders.size() + " tried)")))
                    .doOnNext(m -> manifests.put(fileId, m));
            return manifest.flatMap(m -> {
                // Deleted: a tombstone by the owner itself (anyone may publish one naming
                // themselves) newer than every announcement (the same file put again lives again).
                boolean deleted = tombs.stream().anyMatch(t ->
                        ((DhtRecord.Tombstone) t.payload()).ownerId().equals(m.ownerId())
                                && t.publishedAtUnixMs() > providersAfter);
                if (deleted) {
                    return Mono.error(new FileDeleted(fileId));
                }
                return Mono.fromCallable(() -> open(fileId, m, holders, key));
            });
        });
    }

    private static Resolved open(ContentId fileId, Manifest m, Map<ContentId, List<Contact>> holders, Optional<byte[]> key) {
        if (m.encryption().isEmpty()) {
            return new Resolved(fileId, m, holders, Optional.of(m.name()), m.contentSha256());
        }
        if (key.isEmpty()) {
            return new Resolved(fileId, m, holders, Optional.empty(), Optional.empty());
        }
        byte[] meta = StripeCipher.of(key.get()).open(m.encryption().get().metadataNonce(), m.encryption().get().sealedMetadata());
        ManifestCodec.Metadata sealed = ManifestCodec.parseMetadata(fileId, meta);
        return new Resolved(fileId, m, holders, Optional.of(sealed.name()), Optional.of(sealed.contentSha256()));
    }

    /**
     * The bytes of {@code fileId}, or of {@code length} bytes from {@code offset} (0: to the end).
     * Every byte is checked before it is emitted: each data shard against its id, whether it
     * was fetched or rebuilt from parity (a rebuilt shard that does not match fails the read
     * with DATA_LOSS), and each stripe of an encrypted file by AES-GCM as well. The manifest,
     * checked against the file id, names every shard, so this proves the whole file; the
     * content hash it also carries is not computed again.
     */
    public Flux<ByteBuffer> read(ContentId fileId, Optional<byte[]> key, long offset, long length) {
        return resolveRecent(fileId, key).flatMapMany(r -> read(r, key, offset, length));
    }

    /** Reads an already resolved file. */
    public Flux<ByteBuffer> read(Resolved r, Optional<byte[]> key, long offset, long length) {
        Manifest m = r.manifest();
        if (offset < 0 || length < 0) {
            return Flux.error(MeshException.invalidArgument("offset and length must not be negative"));
        }
        if (offset > m.size()) {
            return Flux.error(MeshException.outOfRange("offset " + offset + " is past the end of the file (" + m.size() + " bytes)"));
        }
        if (m.encrypted() && key.isEmpty()) {
            return Flux.error(MeshException.permissionDenied("file " + r.fileId() + " is encrypted: read it with its capability (<file-id>:<key>)"));
        }
        long end = length == 0 || length > m.size() - offset ? m.size() : offset + length;
        if (end <= offset) {
            return Flux.empty();
        }
        long stripeBytes = m.stripeBytes();
        int first = (int) (offset / stripeBytes);
        int last = (int) ((end - 1) / stripeBytes);
        // A key given for a plain file is ignored, not used to "decrypt" plaintext.
        Optional<StripeCipher> cipher = m.encrypted() ? key.map(StripeCipher::of) : Optional.empty();
        ErasureCodec codec = codecs.computeIfAbsent(m.k() + "+" + m.m(), x -> ErasureCodec.create(m.k(), m.m()));
        return Flux.range(first, last - first + 1)
                .flatMapSequential(i -> stripe(r, codec, cipher, i), windowStripes(m), 1)
                .concatMapIterable(t -> t.within(t.index() * stripeBytes, offset, end));
    }

    /** Stripes in flight for {@code m}: as many as fit the configured bytes in flight, at least one. */
    int windowStripes(Manifest m) {
        return config.windowStripes(m.stripeBytes());
    }

    /** A stripe's plaintext, as the buffers it is made of (a plain file's data shards themselves: no copy). */
    private record Plain(int index, List<ByteBuffer> parts) {

        /** Read-only views of the bytes in [{@code from}, {@code to}) of the file, this stripe starting at {@code start}. */
        List<ByteBuffer> within(long start, long from, long to) {
            List<ByteBuffer> out = new ArrayList<>(parts.size());
            long pos = start;
            for (ByteBuffer p : parts) {
                long a = Math.max(pos, from);
                long b = Math.min(pos + p.remaining(), to);
                if (a < b) {
                    out.add(p.duplicate().position((int) (a - pos)).limit((int) (b - pos)).slice().asReadOnlyBuffer());
                }
                pos += p.remaining();
            }
            return out;
        }
    }

    private Mono<Plain> stripe(Resolved r, ErasureCodec codec, Optional<StripeCipher> cipher, int index) {
        Manifest m = r.manifest();
        List<ContentId> ids = m.stripes().get(index);
        int shardLength = m.shardLength(index);
        List<List<Contact>> sources = new ArrayList<>(ids.size());
        List<Contact> guess = null;
        for (int j = 0; j < ids.size(); j++) {
            List<Contact> known = r.holders().getOrDefault(ids.get(j), List.of());
            if (known.isEmpty()) {
                // No provider record names this shard: fall back to where placement would have put it.
                if (guess == null) {
                    guess = Placement.guess(ids, mesh.candidates());
                }
                known = guess.get(j) == null ? List.of() : List.of(guess.get(j));
            }
            List<Contact> ordered = new ArrayList<>(new LinkedHashSet<>(known));
            ordered.sort((a, b) -> Boolean.compare(marked.contains(a.id()), marked.contains(b.id())));
            sources.add(ordered);
        }
        return StripeFetch.fetch(index, ids, shardLength, m.k(), sources, mesh, hedge, timer, marked::add)
                .publishOn(cpu)
                .map(shards -> {
                    int stripeLength = m.encodedStripeLength(index);
                    for (int j : codec.reconstruct(shards, stripeLength)) {
                        // Fetched shards matched their ids on arrival; a rebuilt one is held to the same proof.
                        if (!Sha256.of(shards[j]).equals(ids.get(j))) {
                            throw MeshException.dataLoss("stripe " + index + " of file " + r.fileId() + ": data shard " + j
                                    + " rebuilt from parity does not match its id " + ids.get(j) + " (a parity shard was stored wrong)");
                        }
                    }
                    if (cipher.isPresent()) {
                        byte[] sealed = new byte[stripeLength];
                        for (int j = 0; j < m.k(); j++) {
                            int n = Math.max(0, Math.min(shardLength, stripeLength - j * shardLength));
                            System.arraycopy(shards[j], 0, sealed, j * shardLength, n);
                        }
                        return new Plain(index, List.of(ByteBuffer.wrap(open(r, cipher.get(), index, sealed))));
                    }
                    List<ByteBuffer> parts = new ArrayList<>(m.k());
                    for (int j = 0; j < m.k(); j++) {
                        int n = Math.max(0, Math.min(shardLength, stripeLength - j * shardLength));
                        if (n > 0) {
                            parts.add(ByteBuffer.wrap(shards[j], 0, n).slice());
                        }
                    }
                    return new Plain(index, parts);
                });
    }

    /**
     * Decrypts a stripe. A key that opened the file's sealed metadata is the file's key, so a
     * stripe that then fails AES-GCM was tampered with (DATA_LOSS), not read with a wrong key.
     */
    private static byte[] open(Resolved r, StripeCipher c, int index, byte[] sealed) {
        try {
            return c.open(StripeCipher.stripeNonce(index), sealed);
        } catch (MeshException e) {
            if (e.kind() != ErrorKind.PERMISSION_DENIED || r.contentSha256().isEmpty()) {
                throw e;
            }
            throw MeshException.dataLoss("stripe " + index + " of file " + r.fileId()
                    + " does not decrypt under the key that opens its metadata: its ciphertext was tampered with");
        }
    }

    /** The adaptive hedge delay: a multiple of the recent typical shard latency, within bounds. */
    static final class Hedge {
        private final TransferConfig config;
        private volatile double ewmaMillis = -1;

        Hedge(TransferConfig config) {
            this.config = config;
        }

        void observe(long millis) {
            double e = ewmaMillis;
            ewmaMillis = e < 0 ? millis : 0.8 * e + 0.2 * millis;
        }

        Duration delay() {
            double e = ewmaMillis;
            if (e < 0) {
                return config.initialHedge();
            }
            long d = (long) (4 * e);
            return Duration.ofMillis(Math.max(config.minHedge().toMillis(), Math.min(config.maxHedge().toMillis(), d)));
        }
    }
}
