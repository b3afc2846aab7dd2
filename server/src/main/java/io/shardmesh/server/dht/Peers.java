package io.shardmesh.server.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.ContactListener;
import io.shardmesh.common.dht.RoutingTable;
import io.shardmesh.common.error.MeshException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The node's persisted peer table: every contact that answered or failed, saved so a restarted
 * node rejoins without a bootstrap address, listed by {@code Node.ListPeers} and cleaned up by
 * {@code Node.ForgetStalePeers}.
 */
public final class Peers implements ContactListener {

    /** A peer not saved before is written this soon after it is first seen. */
    static final Duration NEW_PEER_FLUSH_DELAY = Duration.ofMillis(200);
    /** The shortest "not seen for" a cleanup accepts: anyone may ask, so no one can wipe live peers. */
    public static final Duration MIN_STALE_AGE = Duration.ofMinutes(10);

    private final Logger log;
    private final PeerStore store;
    private final DhtConfig config;
    private final Clock clock;
    private final Scheduler timer;
    private final Scheduler blocking;
    private final Supplier<RoutingTable> table;
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final Disposable.Swap pendingFlush = Disposables.swap();

    /**
     * @param table the routing table, whose healthy members count as online (the table lives in
     *     the Kademlia that reports sightings here, so it is looked up when needed)
     */
    Peers(PeerStore store, Supplier<RoutingTable> table, DhtConfig config, Clock clock, Scheduler timer, Scheduler blocking,
          Logger log) {
        this.store = requireNonNull(store, "store");
        this.table = requireNonNull(table, "table");
        this.config = requireNonNull(config, "config");
        this.clock = requireNonNull(clock, "clock");
        this.timer = requireNonNull(timer, "timer");
        this.blocking = requireNonNull(blocking, "blocking");
        this.log = requireNonNull(log, "log");
    }

    @Override
    public void responded(Contact contact, long rttMillis) {
        if (store.seen(contact, clock.millis(), rttMillis)) {
            flushSoon();
        }
    }

    @Override
    public void failed(Contact contact) {
        store.failed(contact, clock.millis());
    }

    /**
     * Saves the peer table shortly (once per {@link #NEW_PEER_FLUSH_DELAY}, however many peers
     * arrive meanwhile): a new peer, or a new address, must not wait for the periodic flush, or a
     * node killed before it (a crash minutes after its first start) forgets everyone it knew.
     */
    private void flushSoon() {
        if (flushQueued.compareAndSet(false, true)) {
            pendingFlush.update(Mono.delay(NEW_PEER_FLUSH_DELAY, timer)
                    .then(Mono.fromRunnable(() -> {
                        flushQueued.set(false);
                        store.flush();
                    }).subscribeOn(blocking))
                    .subscribe(x -> { }, e -> log.warn("saving new peers failed: {}", e.getMessage())));
        }
    }

    /** Writes buffered sightings now. */
    public Mono<Void> flush() {
        return Mono.<Void>fromRunnable(store::flush).subscribeOn(blocking);
    }

    /** The {@code limit} most recently seen saved peers (to rejoin after a restart). */
    Mono<List<Contact>> saved(int limit) {
        return Mono.fromCallable(() -> store.load(limit).stream().map(PeerStore.Peer::contact).toList()).subscribeOn(blocking);
    }

    /** The peer table, most recently seen first. */
    public Mono<List<PeerView>> list() {
        return Mono.fromCallable(() -> {
            store.flush();
            long now = clock.millis();
            List<PeerView> out = new ArrayList<>();
            for (PeerStore.Peer p : store.load(10_000)) {
                boolean inTable = table.get().entry(p.contact().id()).isPresent();
                PeerView.Status s = now - p.lastSeenUnixMs() > config.staleAfter().toMillis() ? PeerView.Status.OFFLINE
                        : p.failures() > 0 || !inTable ? PeerView.Status.UNRESPONSIVE : PeerView.Status.ONLINE;
                out.add(new PeerView(p.contact(), s, p.firstSeenUnixMs(), p.lastSeenUnixMs(), p.lastRttMillis(), p.failures()));
            }
            return out;
        }).subscribeOn(blocking);
    }

    /**
     * Forgets peers not seen for {@code olderThan} (zero: the stale threshold, at least
     * {@link #MIN_STALE_AGE}; a shorter age is refused). Contacts that are in the routing table
     * and answering are kept.
     */
    public Mono<List<Contact>> forgetStale(Duration olderThan) {
        return Mono.fromCallable(() -> {
            if (olderThan.isNegative()) {
                throw MeshException.invalidArgument("older_than_seconds is too large");
            }
            if (!olderThan.isZero() && olderThan.compareTo(MIN_STALE_AGE) < 0) {
                throw MeshException.invalidArgument("older_than_seconds must be at least " + MIN_STALE_AGE.toSeconds()
                        + " (" + MIN_STALE_AGE.toMinutes() + " min), got " + olderThan.toSeconds()
                        + ": anyone may ask a node to forget peers, so it never forgets one seen more recently");
            }
            Duration age = olderThan.isZero() ? config.staleAfter() : olderThan;
            if (age.compareTo(MIN_STALE_AGE) < 0) {
                age = MIN_STALE_AGE;
            }
            long seenBefore;
            try {
                seenBefore = Math.subtractExact(clock.millis(), age.toMillis());
            } catch (ArithmeticException e) {
                throw MeshException.invalidArgument("older_than_seconds " + olderThan.getSeconds() + " is too large");
            }
            List<Contact> gone = new ArrayList<>();
            for (Contact c : store.forgetOlderThan(seenBefore,
                    id -> table.get().entry(id).map(e -> e.failures() == 0).orElse(false))) {
                table.get().remove(c.id());
                gone.add(c);
            }
            return gone;
        }).subscribeOn(blocking);
    }

    /** Stops a pending save and saves what is buffered (blocking; on close). */
    void close() {
        pendingFlush.dispose();
        try {
            store.flush();
        } catch (RuntimeException e) {
            log.warn("could not save the peer table: {}", e.getMessage());
        }
    }
}
