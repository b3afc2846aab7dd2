package io.shardmesh.common.transfer;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.manifest.ManifestCodec;
import io.shardmesh.common.protocol.ProtocolLimits;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The writer pipeline (DESIGN.md, "Put"): bytes, stripes of k × shard size, optional AES-256-GCM
 * per stripe, Reed-Solomon, SHA-256 per shard, placement, uploads with bounded concurrency,
 * then the manifest on the nodes closest to the file id and one owner-signed Pin per holder.
 * At most {@link TransferConfig#windowStripes()} stripes are being coded or uploaded at once.
 */
public final class FilePut {

    private final Logger log;
    /** How long a node that failed an upload is passed over for the shards that follow. */
    static final java.time.Duration FAILED_NODE_COOLDOWN = java.time.Duration.ofSeconds(30);

    /** What to put. */
    public record Options(String name, int k, int m, int shardSize, boolean encrypt) {
        public Options {
            requireNonNull(name, "name");
            Manifest.checkShape(k, m, shardSize);
            if (name.length() > 1024 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f) || name.contains("/")) {
                throw MeshException.invalidArgument("name must be a base name of at most 1024 characters without"
                        + " '/' or control characters, got '" + name.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
    }

    /** What a put made. */
    public record Result(ContentId fileId, Manifest manifest, Optional<byte[]> key, List<String> warnings) {
        /** The capability of an encrypted file, else the file id. */
        public String handle() {
            return key.map(k -> StripeCipher.capability(fileId, k)).orElse(fileId.hex());
        }
    }

    private final Mesh mesh;
    private final TransferConfig config;
    private final Scheduler cpu;
    private final Map<String, ErasureCodec> codecs = new ConcurrentHashMap<>();

    public FilePut(Mesh mesh, TransferConfig config, Scheduler cpu) {
        this.mesh = requireNonNull(mesh, "mesh");
        this.log = NodeLog.logger(FilePut.class, mesh.owner().id());
        this.config = requireNonNull(config, "config");
        this.cpu = requireNonNull(cpu, "cpu");
    }

    /** Stores {@code data} and returns the file id once every shard is placed and pinned. */
    public Mono<Result> put(Options options, Flux<ByteBuffer> data) {
        return put(options, data, bytes -> { });
    }

    /**
     * {@link #put(Options, Flux)}, telling {@code stored} the plaintext bytes of each stripe once
     * every shard of it is on a node (progress a user can trust; stripes may finish out of order).
     */
    public Mono<Result> put(Options options, Flux<ByteBuffer> data, LongConsumer stored) {
        requireNonNull(stored, "stored");
        return Mono.defer(() -> new Run(options, stored).run(data));
    }

    private final class Run {
        private final Options o;
        private final LongConsumer stored;
        private final ErasureCodec codec;
        private final Optional<byte[]> key;
        private final Optional<StripeCipher> cipher;
        private final Sha256.Hasher content = Sha256.hasher();
        private final List<Contact> nodes;
        private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        /** Nodes that failed an upload, until when they are passed over (a blip is not a verdict). */
        private final Map<NodeId, Long> failedUntil = new ConcurrentHashMap<>();
        private long size;

        Run(Options o, LongConsumer stored) {
            this.o = o;
            this.stored = stored;
            this.codec = codecs.computeIfAbsent(o.k() + "+" + o.m(), x -> ErasureCodec.create(o.k(), o.m()));
            this.key = o.encrypt() ? Optional.of(StripeCipher.newKey()) : Optional.empty();
            this.cipher = key.map(StripeCipher::of);
            this.nodes = List.copyOf(mesh.candidates());
            if (nodes.isEmpty()) {
                throw MeshException.unavailable("no nodes to store shards on");
            }
            if (nodes.size() < o.k() + o.m()) {
                warnings.add("only " + nodes.size() + " node(s) for " + (o.k() + o.m())
                        + " shards per stripe: some nodes hold several shards of a stripe, so losing one of them"
                        + " costs more than one shard");
            }
        }

        private Set<NodeId> cooling() {
            long now = mesh.clock().millis();
            Set<NodeId> out = new HashSet<>();
            failedUntil.forEach((n, until) -> {
                if (until > now) {
                    out.add(n);
                }
            });
            return out;
        }

        Mono<Result> run(Flux<ByteBuffer> data) {
            int stripeBytes = Math.toIntExact((long) o.k() * o.shardSize());
            StripeAssembler assembler = new StripeAssembler(stripeBytes);
            Flux<byte[]> stripes = data
                    .concatMapIterable(buf -> {
                        size += buf.remaining();
                        content.update(buf.duplicate());
                        return assembler.add(buf);
                    }, 2)
                    .concatWith(Mono.fromSupplier(assembler::finish).flatMap(Mono::justOrEmpty));
            return stripes.index()
                    .flatMapSequential(t -> store(Math.toIntExact(t.getT1()), t.getT2()), config.windowStripes(), 1)
                    .collectList()
                    .flatMap(this::finish);
        }

        /** Codes, hashes and uploads one stripe; emits its shard ids and their holders. */
        private Mono<StoredStripe> store(int index, byte[] plain) {
            return Mono.fromCallable(() -> {
                byte[] encoded = cipher.map(c -> c.seal(StripeCipher.stripeNonce(index), plain, 0, plain.length))
                        .orElse(plain);
                byte[][] shards = codec.encode(encoded, 0, encoded.length);
                List<ContentId> ids = new ArrayList<>(shards.length);
                for (byte[] s : shards) {
                    ids.add(Sha256.of(s));
                }
                return new CodedStripe(index, shards, ids);
            }).subscribeOn(cpu).flatMap(this::upload).doOnNext(done -> stored.accept(plain.length));
        }

        private Mono<StoredStripe> upload(CodedStripe s) {
            Map<NodeId, Integer> used = new ConcurrentHashMap<>();
            // Placement is decided shard by shard (the rule depends on what the stripe already
            // uses), then the uploads of a stripe run in parallel.
            List<List<Contact>> ranked = new ArrayList<>();
            for (ContentId id : s.ids()) {
                List<Contact> r = Placement.rank(id, nodes, used, cooling());
                if (!r.isEmpty()) {
                    used.merge(r.get(0).id(), 1, Integer::sum);
                }
                ranked.add(r);
            }
            return Flux.range(0, s.ids().size())
                    .flatMap(j -> uploadShard(s, j, ranked.get(j), 0, null), s.ids().size())
                    .collectList()
                    .map(placed -> {
                        Contact[] holders = new Contact[s.ids().size()];
                        placed.forEach(p -> holders[p.shard()] = p.holder());
                        return new StoredStripe(s.index(), s.ids(), List.of(holders));
                    });
        }

        private Mono<Placed> uploadShard(CodedStripe s, int j, List<Contact> ranked, int attempt, Throwable last) {
            if (attempt >= Math.min(config.uploadAttempts(), ranked.size())) {
                // Say why the last node refused: "quota full" is the user's to fix, not a network fault.
                String why = "stripe " + s.index() + ": shard " + j + " of " + s.ids().size()
                        + " could not be stored on any of " + attempt + " node(s) tried"
                        + (last == null ? "" : "; last: " + last.getMessage());
                return Mono.error(last instanceof MeshException me && me.kind() == io.shardmesh.common.error.ErrorKind.RESOURCE_EXHAUSTED
                        ? MeshException.resourceExhausted(why) : MeshException.unavailable(why, last));
            }
            Contact to = ranked.get(attempt);
            return mesh.putChunk(to, s.ids().get(j), s.shards()[j])
                    .thenReturn(new Placed(j, to))
                    .onErrorResume(e -> {
                        if (e instanceof MeshException me && me.kind() == io.shardmesh.common.error.ErrorKind.INVALID_ARGUMENT) {
                            return Mono.error(e);
                        }
                        log.info("stripe {} shard {}: {} failed ({}); trying the next node", s.index(), j, to, e.getMessage());
                        failedUntil.put(to.id(), mesh.clock().millis() + FAILED_NODE_COOLDOWN.toMillis());
                        return uploadShard(s, j, ranked, attempt + 1, e);
                    });
        }

        private Mono<Result> finish(List<StoredStripe> stored) {
            List<List<ContentId>> stripeIds = stored.stream().map(StoredStripe::ids).toList();
            ContentId contentHash = content.finish();
            Optional<Manifest.Encryption> enc = cipher.map(c -> {
                byte[] meta = ManifestCodec.metadataBytes(new ManifestCodec.Metadata(o.name(), contentHash));
                byte[] nonce = StripeCipher.metadataNonce();
                return new Manifest.Encryption(c.seal(nonce, meta, 0, meta.length), nonce);
            });
            Manifest manifest = new Manifest(size, enc.isPresent() ? Optional.empty() : Optional.of(contentHash),
                    enc.isPresent() ? "" : o.name(), o.k(), o.m(), o.shardSize(), stripeIds, enc, mesh.owner().id());
            byte[] manifestBytes = ManifestCodec.toBytes(manifest);
            ContentId fileId = Sha256.of(manifestBytes);

            // Which chunks each holder pins: its shards, and the manifest on the closest nodes.
            Map<NodeId, Contact> contacts = new HashMap<>();
            Map<NodeId, List<ContentId>> pins = new LinkedHashMap<>();
            for (StoredStripe s : stored) {
                for (int j = 0; j < s.ids().size(); j++) {
                    Contact h = s.holders().get(j);
                    contacts.put(h.id(), h);
                    pins.computeIfAbsent(h.id(), x -> new ArrayList<>()).add(s.ids().get(j));
                }
            }
            List<Contact> manifestRanked = Placement.rank(fileId, nodes, Map.of(), cooling());
            Mono<List<Contact>> manifestHolders = Flux.fromIterable(manifestRanked)
                    .concatMap(c -> mesh.putChunk(c, fileId, manifestBytes).thenReturn(c)
                            .onErrorResume(e -> Mono.empty()))
                    .take(config.manifestReplicas())
                    .collectList()
                    .flatMap(held -> held.isEmpty()
                            ? Mono.error(MeshException.unavailable("the manifest of " + fileId + " could not be stored on any node"))
                            : Mono.just(held));
            return manifestHolders.flatMap(held -> {
                for (Contact c : held) {
                    contacts.put(c.id(), c);
                    pins.computeIfAbsent(c.id(), x -> new ArrayList<>()).add(fileId);
                }
                if (held.size() < config.manifestReplicas()) {
                    warnings.add("the manifest is on " + held.size() + " node(s), not " + config.manifestReplicas());
                }
                return Flux.fromIterable(pins.entrySet())
                        .flatMap(e -> pinAll(contacts.get(e.getKey()), fileId, e.getValue()), 8)
                        .then(Mono.fromSupplier(() -> new Result(fileId, manifest, key, List.copyOf(warnings))));
            });
        }

        private Mono<Void> pinAll(Contact holder, ContentId fileId, List<ContentId> chunks) {
            List<ContentId> unique = new ArrayList<>(new HashSet<>(chunks));
            List<List<ContentId>> batches = new ArrayList<>();
            for (int i = 0; i < unique.size(); i += ProtocolLimits.MAX_BATCH_IDS) {
                batches.add(unique.subList(i, Math.min(unique.size(), i + ProtocolLimits.MAX_BATCH_IDS)));
            }
            return Flux.fromIterable(batches)
                    .concatMap(batch -> mesh.pin(holder, fileId, batch).retry(1))
                    .reduce(new ArrayList<ContentId>(), (all, missing) -> {
                        all.addAll(missing);
                        return all;
                    })
                    .flatMap(missing -> missing.isEmpty() ? Mono.<Void>empty()
                            : Mono.error(MeshException.unavailable(holder + " lost " + missing.size()
                                    + " shard(s) of " + fileId + " before they were pinned")))
                    .onErrorMap(e -> !(e instanceof MeshException),
                            e -> MeshException.unavailable("pinning on " + holder + " failed: " + e.getMessage(), e));
        }
    }

    private record CodedStripe(int index, byte[][] shards, List<ContentId> ids) {
    }

    private record Placed(int shard, Contact holder) {
    }

    private record StoredStripe(int index, List<ContentId> ids, List<Contact> holders) {
    }

    /** Cuts a byte stream into stripes of a fixed size; not thread-safe (used inside concatMap). */
    static final class StripeAssembler {
        private final int stripeBytes;
        private byte[] current;
        private int filled;

        StripeAssembler(int stripeBytes) {
            this.stripeBytes = stripeBytes;
        }

        List<byte[]> add(ByteBuffer data) {
            List<byte[]> full = new ArrayList<>(1);
            ByteBuffer b = data.duplicate();
            while (b.hasRemaining()) {
                if (current == null) {
                    current = new byte[stripeBytes];
                    filled = 0;
                }
                int n = Math.min(b.remaining(), stripeBytes - filled);
                b.get(current, filled, n);
                filled += n;
                if (filled == stripeBytes) {
                    full.add(current);
                    current = null;
                }
            }
            return full;
        }

        /** The last, partial stripe, if any. */
        Optional<byte[]> finish() {
            if (current == null || filled == 0) {
                return Optional.empty();
            }
            byte[] last = java.util.Arrays.copyOf(current, filled);
            current = null;
            return Optional.of(last);
        }
    }
}
