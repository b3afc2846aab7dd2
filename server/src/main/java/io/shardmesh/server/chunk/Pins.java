package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.crypto.OwnerProof;
import io.shardmesh.common.crypto.SignedAction;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.protocol.ProtocolLimits;
import io.shardmesh.server.store.ChunkStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.slf4j.Logger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Owner-signed pins: which chunks a node keeps for which file. A pinned chunk is never
 * collected; an owner may remove only its own pins. Whoever needs to act on a change (the node
 * announces what it holds, and lists files whose manifest it keeps) registers with
 * {@link #onPinsChanged}, and Pin and Unpin answer only once they have acted.
 */
public final class Pins {

    private final Logger log;
    private final ChunkStore store;
    private final PinStore pins;
    private final Retention retention;
    private final Clock clock;
    private final Scheduler blocking;
    private final List<Function<ContentId, Mono<Void>>> listeners = new CopyOnWriteArrayList<>();
    /**
     * Files whose first pin here, in the last {@link #ADOPTION_MEMORY}, was a repair pin (clock
     * millis of it): no put of theirs is in its pin phase here, so repair need not wait one out.
     */
    private final Map<ContentId, Long> adopted = new ConcurrentHashMap<>();
    static final Duration ADOPTION_MEMORY = Duration.ofMinutes(2);
    /** Why new pins and uploads are refused (a drain runs); null while they are taken. */
    private volatile String refusing;

    Pins(ChunkStore store, PinStore pins, Retention retention, Clock clock, Scheduler blocking, Logger log) {
        this.store = requireNonNull(store, "store");
        this.pins = requireNonNull(pins, "pins");
        this.retention = requireNonNull(retention, "retention");
        this.clock = requireNonNull(clock, "clock");
        this.blocking = requireNonNull(blocking, "blocking");
        this.log = requireNonNull(log, "log");
    }

    /**
     * Runs {@code listener} with the file id after pins under it were added or removed; Pin and
     * Unpin answer once it completes (the node announces what it holds before the writer is told).
     */
    public void onPinsChanged(Function<ContentId, Mono<Void>> listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    Mono<Void> changed(ContentId fileId) {
        return Flux.fromIterable(listeners)
                .concatMap(l -> Mono.defer(() -> l.apply(fileId)).onErrorResume(e -> {
                    log.warn("acting on the pins of {} failed: {}", fileId, e.getMessage());
                    return Mono.empty();
                }))
                .then();
    }

    /**
     * Refuses new pins and uploads, UNAVAILABLE with {@code why}, until {@link #acceptNew}: a
     * draining node must not take chunks it would then leave with. A pin under way when this is
     * called has landed by the time it completes, so a list of pins taken afterwards is whole.
     */
    public Mono<Void> refuseNew(String why) {
        requireNonNull(why, "why");
        return Mono.fromRunnable(() -> retention.pinning(() -> {
            refusing = why;
            return null;
        }, List.of())).subscribeOn(blocking).then();
    }

    /** Takes new pins and uploads again. */
    public void acceptNew() {
        refusing = null;
    }

    /** Fails when new pins and uploads are refused now. */
    void checkAccepting() {
        String why = refusing;
        if (why != null) {
            throw MeshException.unavailable(why);
        }
    }

    /** Pins the held ones of {@code chunks} under {@code fileId} for the proven owner. */
    public Mono<PinResult> pin(ContentId fileId, List<ContentId> chunks, OwnerProof owner) {
        if (chunks.size() > ProtocolLimits.MAX_BATCH_IDS) {
            return Mono.error(tooMany(chunks.size()));
        }
        return Mono.fromCallable(() -> {
            long now = clock.millis();
            NodeId signer = owner.verify(SignedAction.pin(fileId, chunks), now);
            return pinHeld(fileId, signer, chunks, now);
        }).subscribeOn(blocking).flatMap(r -> r.pinned() == 0 ? Mono.just(r) : changed(fileId).thenReturn(r));
    }

    /** Pins those of {@code chunks} that are stored, for an owner already verified. Blocking. */
    PinResult pinHeld(ContentId fileId, NodeId owner, List<ContentId> chunks, long now) {
        List<ContentId> held = new ArrayList<>();
        List<ContentId> missing = new ArrayList<>();
        return retention.pinning(() -> {
            checkAccepting();
            for (ContentId c : new LinkedHashSet<>(chunks)) {
                (store.contains(c) ? held : missing).add(c);
            }
            pins.add(fileId, owner, held, now);
            return new PinResult(held.size(), missing);
        }, held);
    }

    /**
     * Pins the held ones of {@code chunks} under {@code fileId} for {@code owner}, whom the
     * caller has authorized by other means: a repair pin, checked against the file's manifest
     * and its tombstones (see PinRequest in {@code chunks.proto}).
     */
    public Mono<PinResult> pinAuthorized(ContentId fileId, NodeId owner, List<ContentId> chunks) {
        if (chunks.size() > ProtocolLimits.MAX_BATCH_IDS) {
            return Mono.error(tooMany(chunks.size()));
        }
        return Mono.fromCallable(() -> {
                    long now = clock.millis();
                    boolean first = pins.firstPinAt(fileId) == 0;
                    PinResult r = pinHeld(fileId, owner, chunks, now);
                    adopted.values().removeIf(at -> now - at > ADOPTION_MEMORY.toMillis());
                    if (first && r.pinned() > 0) {
                        adopted.put(fileId, now);
                    }
                    return r;
                })
                .subscribeOn(blocking)
                .flatMap(r -> r.pinned() == 0 ? Mono.just(r) : changed(fileId).thenReturn(r));
    }

    /**
     * Lets go of {@code chunks} under {@code fileId}, whoever pinned them: this node's own
     * decision about its own storage (the chunks moved elsewhere, are a surplus copy, belong to
     * a deleted file). They are collected after the grace period; the node stops announcing them
     * before this completes.
     *
     * @return how many pins were removed
     */
    public Mono<Integer> release(ContentId fileId, List<ContentId> chunks) {
        return Mono.fromCallable(() -> retention.pinning(() -> pins.removeAllOwners(fileId, chunks), List.of()))
                .subscribeOn(blocking)
                .flatMap(n -> n == 0 ? Mono.just(n) : changed(fileId).thenReturn(n));
    }

    /**
     * Lets go of {@code chunk} under every file that pins it (it was found corrupt and
     * quarantined), so the node stops announcing it and repair rebuilds it.
     *
     * @return the files that pinned it
     */
    public Mono<List<ContentId>> releaseEverywhere(ContentId chunk) {
        return Mono.fromCallable(() -> pins.filesOf(chunk)).subscribeOn(blocking)
                .flatMap(files -> Flux.fromIterable(files)
                        .concatMap(f -> release(f, List.of(chunk)))
                        .then(Mono.just(files)));
    }

    /** True when the first pin of {@code fileId} here was a repair pin, moments ago (not a put's pin phase). */
    public boolean adoptedByRepair(ContentId fileId) {
        Long at = adopted.get(fileId);
        return at != null && clock.millis() - at <= ADOPTION_MEMORY.toMillis();
    }

    /** When the first pin under {@code fileId} still here was placed (clock millis); 0 when none. */
    public Mono<Long> firstPinAt(ContentId fileId) {
        return Mono.fromCallable(() -> pins.firstPinAt(fileId)).subscribeOn(blocking);
    }

    /** Every file with pins on this node. */
    public Mono<List<ContentId>> pinnedFileIds() {
        return Mono.fromCallable(pins::fileIds).subscribeOn(blocking);
    }

    /**
     * Removes the proven owner's pins under {@code fileId} (on {@code chunks}, or all when empty).
     * Pins by another owner cannot be removed: PERMISSION_DENIED.
     */
    public Mono<Integer> unpin(ContentId fileId, List<ContentId> chunks, OwnerProof owner) {
        if (chunks.size() > ProtocolLimits.MAX_BATCH_IDS) {
            return Mono.error(tooMany(chunks.size()));
        }
        return Mono.fromCallable(() -> {
            NodeId signer = owner.verify(SignedAction.unpin(fileId, chunks), clock.millis());
            return retention.pinning(() -> {
                Set<NodeId> owners = pins.owners(fileId);
                if (!owners.isEmpty() && !owners.contains(signer)) {
                    throw MeshException.permissionDenied("file " + fileId + " was pinned by another owner; "
                            + signer + " may not unpin it");
                }
                return pins.remove(fileId, signer, chunks);
            }, List.of());
        }).subscribeOn(blocking).flatMap(n -> n == 0 ? Mono.just(n) : changed(fileId).thenReturn(n));
    }

    /** The chunk ids pinned under {@code fileId} here. */
    public Mono<List<ContentId>> pinnedChunks(ContentId fileId) {
        return Mono.fromCallable(() -> pins.chunksOf(fileId)).subscribeOn(blocking);
    }

    /** Whether any pin references {@code chunk}. Blocking. */
    boolean isPinned(ContentId chunk) {
        return pins.isPinned(chunk);
    }

    /** How many files have pins on this node. */
    public Mono<Long> pinnedFiles() {
        return Mono.fromCallable(pins::fileCount).subscribeOn(blocking);
    }

    static MeshException tooMany(int n) {
        return MeshException.invalidArgument("a batch names " + n + " chunk ids; at most "
                + ProtocolLimits.MAX_BATCH_IDS + " are allowed");
    }

    /** Outcome of a pin. */
    public record PinResult(int pinned, List<ContentId> missing) {
        public PinResult {
            missing = List.copyOf(missing);
        }
    }
}
