package io.shardmesh.common.transfer;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.StripeCipher;
import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.erasure.ErasureCodec;
import io.shardmesh.common.error.ErrorKind;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import io.shardmesh.common.manifest.Manifest;
import io.shardmesh.common.manifest.ManifestCodec;
import io.shardmesh.common.protocol.ProtocolLimits;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The writer pipeline (DESIGN.md, "Put"): bytes, stripes of k × shard size, optional AES-256-GCM
 * per stripe, Reed-Solomon, SHA-256 per shard, placement on distinct live holders, uploads with
 * bounded concurrency, the manifest on the nodes closest to the file id, then one owner-signed
 * Pin per holder. At most {@link TransferConfig#windowStripes(long)} stripes are coded or uploaded
 * at once.
 *
 * <p>A put is acknowledged only when every shard of every stripe is stored, verified and pinned
 * on k + m distinct live holders (distinct node ids and addresses, each call checked to be
 * answered by the node meant) and the manifest is on its replicas. A holder that fails on the
 * way is replaced: during uploads the shard goes to the next candidate; at the pin, its shards
 * are rebuilt from the rest of their stripe and placed anew. A put that fails unpins what it
 * pinned and ends its upload session on every node it uploaded to, so it lists nothing and
 * holds no space.
 */
public final class FilePut {

    private final Logger log;
    /** How long a node that failed an upload is passed over for the shards that follow. */
    static final Duration FAILED_NODE_COOLDOWN = Duration.ofSeconds(30);
    /** Pins, unpins and aborts in flight at once. */
    private static final int FAN_OUT = 8;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What to put.
     *
     * @param allowDegraded store even when the mesh cannot give k + m distinct live holders a
     *     stripe (some then hold several of its shards, and the file survives fewer losses)
     */
    public record Options(String name, int k, int m, int shardSize, boolean encrypt, boolean allowDegraded) {
        public Options {
            requireNonNull(name, "name");
            Manifest.checkShape(k, m, shardSize);
            if (name.length() > 1024 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f) || name.contains("/")) {
                throw MeshException.invalidArgument("name must be a base name of at most 1024 characters without"
                        + " '/' or control characters, got '" + name.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }

        /** Options that demand full redundancy. */
        public Options(String name, int k, int m, int shardSize, boolean encrypt) {
            this(name, k, m, shardSize, encrypt, false);
        }
    }

    /**
     * What a put made.
     *
     * @param holders per stripe, the node that holds each of its k + m shards
     * @param manifestHolders the nodes that keep the manifest
     */
    public record Result(ContentId fileId, Manifest manifest, Optional<byte[]> key, List<String> warnings,
                         List<List<Contact>> holders, List<Contact> manifestHolders) {

        public Result {
            warnings = List.copyOf(warnings);
            holders = holders.stream().map(List::copyOf).toList();
            manifestHolders = List.copyOf(manifestHolders);
        }

        /** The capability of an encrypted file, else the file id. */
        public String handle() {
            return key.map(k -> StripeCipher.capability(fileId, k)).orElse(fileId.hex());
        }

        /** Holders a stripe can lose, in the worst case, and still be read: the smallest over the file. */
        public int lossesSurvived() {
            return holders.stream().mapToInt(h -> Redundancy.lossesSurvivable(h, manifest.k())).min().orElse(manifest.m());
        }

        /** Distinct nodes holding the file's shards. */
        public int distinctHolders() {
            return (int) holders.stream().flatMap(List::stream).map(Contact::id).distinct().count();
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
        return Mono.defer(() -> {
            Run run = new Run(options, stored);
            // A failed or cancelled put takes back what it did: nothing listed, no space held.
            AtomicBoolean ended = new AtomicBoolean();
            return run.run(data)
                    .onErrorResume(e -> run.abort().then(Mono.error(e)))
                    .doOnEach(signal -> ended.set(true))
                    // Only a cancel before the result undoes the put: a subscriber may cancel once it
                    // has the value and before the completion (a unary gRPC response does), and that
                    // must not unpin a put that succeeded.
                    .doOnCancel(() -> {
                        if (!ended.get()) {
                            run.abort().subscribe(x -> { }, e -> { });
                        }
                    });
        });
    }

    /** A fresh upload session name: 128 random bits, known only to this writer. */
    private static String newSession() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Holders whose shards must be placed again, and why. */
    private record Lost(Contact holder, String why) {
    }

    private final class Run {
        private final Options o;
        private final LongConsumer stored;
        private final ErasureCodec codec;
        private final Optional<byte[]> key;
        private final Optional<StripeCipher> cipher;
        private final Sha256.Hasher content = Sha256.hasher();
        /** Names this put's uploads on every node, so a failure can release them at once. */
        private final String session = newSession();
        private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        /** Nodes that failed a call, until when they are passed over (a blip is not a verdict). */
        private final Map<NodeId, Long> failedUntil = new ConcurrentHashMap<>();
        /** Every node this put uploaded to (or tried to): an abort ends the session there. */
        private final Map<NodeId, Contact> uploadedTo = new ConcurrentHashMap<>();
        /** Every node that pinned something of this put: an abort unpins there. */
        private final Map<NodeId, Contact> pinnedOn = new ConcurrentHashMap<>();
        private volatile ContentId fileId;
        private List<Contact> nodes = List.of();
        private long size;

        Run(Options o, LongConsumer stored) {
            this.o = o;
            this.stored = stored;
            this.codec = codecs.computeIfAbsent(o.k() + "+" + o.m(), x -> ErasureCodec.create(o.k(), o.m()));
            this.key = o.encrypt() ? Optional.of(StripeCipher.newKey()) : Optional.empty();
            this.cipher = key.map(StripeCipher::of);
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

        private void failedOn(Contact c) {
            failedUntil.put(c.id(), mesh.clock().millis() + FAILED_NODE_COOLDOWN.toMillis());
        }

        /**
         * The placement rule's candidates for {@code shard}: closest (XOR) first, nodes that
         * failed a call lately after the others rather than left out (a blip is not a verdict,
         * and leaving them out could leave a stripe short of distinct holders).
         */
        private List<Contact> rank(ContentId shard) {
            Set<NodeId> cooling = cooling();
            List<Contact> fresh = Placement.rank(shard, nodes, Map.of(), cooling);
            if (fresh.size() == nodes.size()) {
                return fresh;
            }
            List<Contact> out = new ArrayList<>(fresh);
            out.addAll(Placement.rank(shard, nodes.stream().filter(c -> cooling.contains(c.id())).toList(), Map.of(), Set.of()));
            return out;
        }

        Mono<Result> run(Flux<ByteBuffer> data) {
            return mesh.probe(mesh.candidates()).flatMap(live -> {
                nodes = Placement.distinctHosts(live);
                int width = o.k() + o.m();
                if (nodes.isEmpty()) {
                    return Mono.error(MeshException.unavailable("no live node to store shards on"));
                }
                if (nodes.size() < width) {
                    String why = "only " + nodes.size() + " live node(s) for " + o.k() + " + " + o.m() + " = " + width
                            + " shards per stripe";
                    if (!o.allowDegraded()) {
                        return Mono.error(MeshException.unavailable(why + ": the file would not survive " + o.m()
                                + (o.m() == 1 ? " loss" : " losses") + "; start more nodes, lower k + m (-k, -m),"
                                + " or allow a degraded put (--allow-degraded)"));
                    }
                    warnings.add(why + ": some nodes hold several shards of a stripe, so the file survives fewer than "
                            + o.m() + (o.m() == 1 ? " loss" : " losses"));
                }
                log.debug("put: {} live node(s), session {}", nodes.size(), session);
                return stripes(data).collectList().flatMap(this::finish);
            });
        }

        private Flux<StripeState> stripes(Flux<ByteBuffer> data) {
            int stripeBytes = Math.toIntExact((long) o.k() * o.shardSize());
            StripeAssembler assembler = new StripeAssembler(stripeBytes);
            Flux<byte[]> plain = data
                    .concatMapIterable(buf -> {
                        size += buf.remaining();
                        content.update(buf.duplicate());
                        return assembler.add(buf);
                    }, 2)
                    .concatWith(Mono.fromSupplier(assembler::finish).flatMap(Mono::justOrEmpty));
            return plain.index()
                    .flatMapSequential(t -> store(Math.toIntExact(t.getT1()), t.getT2()), config.windowStripes(stripeBytes), 1);
        }

        /** Codes, hashes and uploads one stripe; emits its shard ids and their holders. */
        private Mono<StripeState> store(int index, byte[] plain) {
            return Mono.fromCallable(() -> {
                byte[] encoded = cipher.map(c -> c.seal(StripeCipher.stripeNonce(index), plain, 0, plain.length))
                        .orElse(plain);
                byte[][] shards = codec.encode(encoded, 0, encoded.length);
                List<ContentId> ids = new ArrayList<>(shards.length);
                for (byte[] s : shards) {
                    ids.add(Sha256.of(s));
                }
                return new StripeState(index, ids, encoded.length, shards);
            }).subscribeOn(cpu).flatMap(this::upload).doOnNext(done -> stored.accept(plain.length));
        }

        /**
         * Uploads a stripe's shards, each to the closest free candidate and, if that fails, to the
         * next: the stripe's holders are claimed one at a time, so no two shards meet on a node
         * (unless the put allows a degraded stripe and there is no other way).
         */
        private Mono<StripeState> upload(StripeState s) {
            // flatMap calls uploadShard for shard 0, 1, ... in order, and each claims its first
            // free candidate at once: the placement rule, shard by shard (the closest node that
            // holds no other shard of the stripe). Fallbacks claim later, from the same pool.
            return Flux.range(0, s.ids.size())
                    .flatMap(j -> uploadShard(s, j, rank(s.ids.get(j))), s.ids.size())
                    .then(Mono.fromSupplier(() -> {
                        s.dropBytes();
                        return s;
                    }));
        }

        private Mono<Void> uploadShard(StripeState s, int j, List<Contact> ranked) {
            return uploadShard(s, j, ranked, 0, new HashSet<>(), null);
        }

        /**
         * Uploads shard {@code j} to the first candidate from {@code from} on that it can claim;
         * on failure, to the next. {@code tried} are the nodes that failed this shard: a degraded
         * put reuses a node of the stripe, but never one of those.
         */
        private Mono<Void> uploadShard(StripeState s, int j, List<Contact> ranked, int from, Set<NodeId> tried, Throwable last) {
            Contact to = null;
            int next = from;
            for (; next < ranked.size(); next++) {
                if (!tried.contains(ranked.get(next).id()) && s.claim(ranked.get(next))) {
                    to = ranked.get(next);
                    break;
                }
            }
            if (to == null && o.allowDegraded()) {
                to = s.leastLoaded(nodes.stream().filter(c -> !tried.contains(c.id())).toList());
            }
            if (to == null) {
                // Say why the last node refused: "quota full" is the user's to fix, not a network fault.
                String why = "stripe " + s.index + ": shard " + j + " of " + s.ids.size() + " could not be stored on a"
                        + " node that holds no other shard of the stripe (" + nodes.size() + " live node(s), "
                        + tried.size() + " failed it)" + (last == null ? "" : "; last: " + last.getMessage());
                return Mono.error(last instanceof MeshException me && me.kind() == ErrorKind.RESOURCE_EXHAUSTED
                        ? MeshException.resourceExhausted(why) : MeshException.unavailable(why, last));
            }
            Contact target = to;
            int resumeAt = next + 1;
            uploadedTo.put(target.id(), target);
            return mesh.putChunk(target, s.ids.get(j), s.shards[j], session)
                    .doOnSuccess(v -> s.holders[j] = target)
                    .onErrorResume(e -> {
                        if (e instanceof MeshException me && me.kind() == ErrorKind.INVALID_ARGUMENT) {
                            return Mono.error(e);
                        }
                        log.info("stripe {} shard {}: {} failed ({}); trying the next node", s.index, j, target, e.getMessage());
                        failedOn(target);
                        tried.add(target.id());
                        return uploadShard(s, j, ranked, resumeAt, tried, e);
                    });
        }

        private Mono<Result> finish(List<StripeState> stripes) {
            List<List<ContentId>> stripeIds = stripes.stream().map(s -> s.ids).toList();
            ContentId contentHash = content.finish();
            Optional<Manifest.Encryption> enc = cipher.map(c -> {
                byte[] meta = ManifestCodec.metadataBytes(new ManifestCodec.Metadata(o.name(), contentHash));
                byte[] nonce = StripeCipher.metadataNonce();
                return new Manifest.Encryption(c.seal(nonce, meta, 0, meta.length), nonce);
            });
            Manifest manifest = new Manifest(size, enc.isPresent() ? Optional.empty() : Optional.of(contentHash),
                    enc.isPresent() ? "" : o.name(), o.k(), o.m(), o.shardSize(), stripeIds, enc, mesh.owner().id());
            byte[] manifestBytes = ManifestCodec.toBytes(manifest);
            fileId = Sha256.of(manifestBytes);
            log.debug("put {}: {} stripe(s) stored; storing the manifest", fileId, stripes.size());
            List<Contact> manifestHolders = Collections.synchronizedList(new ArrayList<>());
            return storeManifest(manifestBytes, manifestHolders, Math.min(config.manifestReplicas(), nodes.size()))
                    .then(Mono.defer(() -> pinEverything(stripes, manifest, manifestBytes, manifestHolders)))
                    .then(Mono.fromSupplier(() -> new Result(fileId, manifest, key, List.copyOf(warnings),
                            stripes.stream().map(s -> List.of(s.holders)).toList(), List.copyOf(manifestHolders))));
        }

        /** Stores the manifest blob on {@code wanted} more of the nodes closest to the file id. */
        private Mono<Void> storeManifest(byte[] bytes, List<Contact> holders, int wanted) {
            Set<NodeId> have = new HashSet<>();
            holders.forEach(h -> have.add(h.id()));
            List<Contact> ranked = Placement.rank(fileId, nodes, Map.of(), have);
            return Flux.fromIterable(ranked)
                    .filter(c -> !have.contains(c.id()))
                    .concatMap(c -> {
                        uploadedTo.put(c.id(), c);
                        return mesh.putChunk(c, fileId, bytes, session).thenReturn(c).onErrorResume(e -> {
                            log.info("manifest of {} on {} failed ({}); trying the next node", fileId, c, e.getMessage());
                            failedOn(c);
                            return Mono.empty();
                        });
                    })
                    .take(wanted)
                    .doOnNext(holders::add)
                    .count()
                    .flatMap(n -> n < wanted
                            ? Mono.error(MeshException.unavailable("the manifest of " + fileId + " could be stored on "
                                    + n + " of the " + wanted + " nodes it needs"))
                            : Mono.empty());
        }

        /**
         * Pins every holder's share; a holder that fails, or lost some of its chunks, is replaced:
         * its shards are rebuilt from the rest of their stripes and placed anew, its manifest copy
         * stored elsewhere, and those are pinned in turn, until everything is pinned or no
         * placement can give the promised redundancy.
         */
        private Mono<Void> pinEverything(List<StripeState> stripes, Manifest manifest, byte[] manifestBytes,
                                         List<Contact> manifestHolders) {
            Map<NodeId, Contact> contacts = new LinkedHashMap<>();
            Map<NodeId, List<ContentId>> share = new LinkedHashMap<>();
            for (StripeState s : stripes) {
                for (int j = 0; j < s.ids.size(); j++) {
                    Contact h = s.holders[j];
                    contacts.put(h.id(), h);
                    share.computeIfAbsent(h.id(), x -> new ArrayList<>()).add(s.ids.get(j));
                }
            }
            synchronized (manifestHolders) {
                for (Contact c : manifestHolders) {
                    contacts.put(c.id(), c);
                    share.computeIfAbsent(c.id(), x -> new ArrayList<>()).add(fileId);
                }
            }
            log.debug("put {}: pinning on {} holder(s)", fileId, contacts.size());
            return Flux.fromIterable(share.entrySet())
                    .flatMap(e -> pinAll(contacts.get(e.getKey()), e.getValue()), FAN_OUT)
                    .collectList()
                    .flatMap(lost -> lost.isEmpty() ? Mono.<Void>empty()
                            : replace(lost, stripes, manifest, manifestBytes, manifestHolders));
        }

        /** Pins {@code chunks} on {@code holder}; emits the holder as lost if it failed or lacked any. */
        private Mono<Lost> pinAll(Contact holder, List<ContentId> chunks) {
            List<ContentId> unique = new ArrayList<>(new LinkedHashSet<>(chunks));
            List<List<ContentId>> batches = new ArrayList<>();
            for (int i = 0; i < unique.size(); i += ProtocolLimits.MAX_BATCH_IDS) {
                batches.add(unique.subList(i, Math.min(unique.size(), i + ProtocolLimits.MAX_BATCH_IDS)));
            }
            pinnedOn.put(holder.id(), holder);
            return Flux.fromIterable(batches)
                    .concatMap(batch -> mesh.pin(holder, fileId, batch))
                    .reduce(new ArrayList<ContentId>(), (all, missing) -> {
                        all.addAll(missing);
                        return all;
                    })
                    .flatMap(missing -> missing.isEmpty() ? Mono.<Lost>empty()
                            : Mono.just(new Lost(holder, "it no longer has " + missing.size() + " of its chunks")))
                    .onErrorResume(e -> Mono.just(new Lost(holder, e.getMessage())));
        }

        /** Replaces the lost holders' shares, then pins those, recursively. */
        private Mono<Void> replace(List<Lost> lost, List<StripeState> stripes, Manifest manifest, byte[] manifestBytes,
                                   List<Contact> manifestHolders) {
            Set<NodeId> gone = new HashSet<>();
            for (Lost l : lost) {
                log.info("put {}: holder {} failed at the pin ({}); placing its shards elsewhere", fileId, l.holder(), l.why());
                gone.add(l.holder().id());
                failedOn(l.holder());
            }
            nodes = nodes.stream().filter(c -> !gone.contains(c.id())).toList();
            List<StripeState> hit = stripes.stream().filter(s -> s.holdsAny(gone)).toList();
            int manifestLost;
            synchronized (manifestHolders) {
                int before = manifestHolders.size();
                manifestHolders.removeIf(c -> gone.contains(c.id()));
                manifestLost = before - manifestHolders.size();
            }
            List<Contact> before = List.copyOf(manifestHolders);
            Mono<Void> newManifestCopies = manifestLost == 0 ? Mono.empty()
                    : storeManifest(manifestBytes, manifestHolders, manifestLost);
            Mono<Void> newShards = Flux.fromIterable(hit)
                    .concatMap(s -> rebuild(s, gone, manifest))
                    .then();
            return newManifestCopies.then(newShards).then(Mono.defer(() -> {
                // Pin only what moved: the new holders of rebuilt shards and new manifest copies.
                Map<NodeId, Contact> contacts = new LinkedHashMap<>();
                Map<NodeId, List<ContentId>> share = new LinkedHashMap<>();
                for (StripeState s : hit) {
                    for (int j = 0; j < s.ids.size(); j++) {
                        if (s.moved[j]) {
                            Contact h = s.holders[j];
                            contacts.put(h.id(), h);
                            share.computeIfAbsent(h.id(), x -> new ArrayList<>()).add(s.ids.get(j));
                            s.moved[j] = false;
                        }
                    }
                }
                synchronized (manifestHolders) {
                    for (Contact c : manifestHolders) {
                        if (!before.contains(c)) {
                            contacts.put(c.id(), c);
                            share.computeIfAbsent(c.id(), x -> new ArrayList<>()).add(fileId);
                        }
                    }
                }
                return Flux.fromIterable(share.entrySet())
                        .flatMap(e -> pinAll(contacts.get(e.getKey()), e.getValue()), FAN_OUT)
                        .collectList()
                        .flatMap(more -> more.isEmpty() ? Mono.<Void>empty()
                                : replace(more, stripes, manifest, manifestBytes, manifestHolders));
            }));
        }

        /**
         * Rebuilds the shards of stripe {@code s} that were on {@code gone} nodes from any k of
         * the others (each verified against its id), and uploads them to new holders.
         */
        private Mono<Void> rebuild(StripeState s, Set<NodeId> gone, Manifest manifest) {
            int width = s.ids.size();
            List<Integer> missing = new ArrayList<>();
            for (int j = 0; j < width; j++) {
                if (gone.contains(s.holders[j].id())) {
                    missing.add(j);
                }
            }
            byte[][] got = new byte[width][];
            int shardLength = manifest.shardLength(s.index);
            return Flux.range(0, width)
                    .filter(j -> !missing.contains(j))
                    .concatMap(j -> mesh.getChunk(s.holders[j], s.ids.get(j))
                            .filter(b -> b.length == shardLength && Sha256.of(b).equals(s.ids.get(j)))
                            .doOnNext(b -> got[j] = b)
                            .onErrorResume(e -> Mono.empty()))
                    .take(o.k())
                    .count()
                    .flatMap(n -> {
                        if (n < o.k()) {
                            return Mono.error(MeshException.unavailable("stripe " + s.index + " of " + fileId
                                    + " lost holders at the pin and only " + n + " of the " + o.k()
                                    + " shards needed to rebuild them could be fetched"));
                        }
                        return Mono.fromCallable(() -> codec.encode(codec.decode(got, s.encodedLength), 0, s.encodedLength))
                                .subscribeOn(cpu);
                    })
                    .flatMap(all -> {
                        s.shards = all;
                        for (int j : missing) {
                            s.release(s.holders[j]);
                            s.holders[j] = null;
                        }
                        return Flux.fromIterable(missing)
                                .concatMap(j -> uploadShard(s, j, rank(s.ids.get(j)))
                                        .doOnSuccess(v -> s.moved[j] = true))
                                .then(Mono.fromRunnable(s::dropBytes));
                    });
        }

        /** Takes back what a failed put did: unpins where it pinned, ends its session where it uploaded. */
        Mono<Void> abort() {
            ContentId id = fileId;
            Mono<Void> unpins = id == null ? Mono.empty() : Flux.fromIterable(pinnedOn.values())
                    .flatMap(h -> mesh.unpin(h, id).onErrorResume(e -> Mono.just(0)), FAN_OUT)
                    .then();
            Mono<Void> aborts = Flux.fromIterable(uploadedTo.values())
                    .flatMap(h -> mesh.abortUpload(h, session).onErrorResume(e -> Mono.empty()), FAN_OUT)
                    .then();
            return unpins.then(aborts)
                    .doOnSubscribe(x -> log.info("put failed: releasing what it stored on {} node(s)", uploadedTo.size()));
        }
    }

    /** One stripe on its way: its shards until they are all stored, and who holds each. */
    private static final class StripeState {
        final int index;
        final List<ContentId> ids;
        final int encodedLength;
        volatile byte[][] shards;
        final Contact[] holders;
        /** Shards placed anew at the pin, not pinned yet. */
        final boolean[] moved;
        private final Map<NodeId, Integer> claimed = new HashMap<>();

        StripeState(int index, List<ContentId> ids, int encodedLength, byte[][] shards) {
            this.index = index;
            this.ids = ids;
            this.encodedLength = encodedLength;
            this.shards = shards;
            this.holders = new Contact[ids.size()];
            this.moved = new boolean[ids.size()];
        }

        /** Claims {@code c} for one shard of this stripe, unless it holds one already. */
        synchronized boolean claim(Contact c) {
            if (claimed.containsKey(c.id())) {
                return false;
            }
            claimed.put(c.id(), 1);
            return true;
        }

        /** The node holding the fewest of this stripe's shards, claimed once more (degraded puts). */
        synchronized Contact leastLoaded(List<Contact> nodes) {
            Contact best = null;
            for (Contact c : nodes) {
                if (best == null || claimed.getOrDefault(c.id(), 0) < claimed.getOrDefault(best.id(), 0)) {
                    best = c;
                }
            }
            if (best != null) {
                claimed.merge(best.id(), 1, Integer::sum);
            }
            return best;
        }

        synchronized void release(Contact c) {
            claimed.computeIfPresent(c.id(), (id, n) -> n > 1 ? n - 1 : null);
        }

        boolean holdsAny(Set<NodeId> nodes) {
            for (Contact h : holders) {
                if (h != null && nodes.contains(h.id())) {
                    return true;
                }
            }
            return false;
        }

        /** The shards are on their holders: the bytes need not stay in memory. */
        void dropBytes() {
            shards = null;
        }
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
            byte[] last = Arrays.copyOf(current, filled);
            current = null;
            return Optional.of(last);
        }
    }
}
