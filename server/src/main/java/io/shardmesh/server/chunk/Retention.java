package io.shardmesh.server.chunk;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.server.store.ChunkStore;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The rule that keeps garbage collection from taking what a writer is about to pin: a chunk no
 * pin references is kept for the grace period after it arrived. Arrival times are taken from
 * the injected clock and kept in memory for chunks not pinned yet; a chunk without one (pinned
 * when last seen, or found on disk at start) counts as arrived when the node started, so a
 * restart gives every unpinned chunk a full grace period again rather than less.
 *
 * <p>Pinning, a repeated upload of a stored chunk and each deletion run under one lock, so a
 * chunk is never collected between the check that it is stored and its pin.
 */
final class Retention {

    private final ChunkStore store;
    private final Clock clock;
    private final long startedAtMillis;
    private final Map<ContentId, Long> arrivedAt = new ConcurrentHashMap<>();
    /** Upload sessions: what each uploaded, and when it last uploaded, so an abort can take it back. */
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    /**
     * Sessions their writer ended, and when, until they expire: an upload of theirs that was in
     * flight and lands after the abort is taken back at once instead of holding space.
     */
    private final Map<String, Long> ended = new ConcurrentHashMap<>();
    private final Object lock = new Object();

    private static final class Session {
        final Set<ContentId> chunks = ConcurrentHashMap.newKeySet();
        volatile long lastActiveMillis;
    }

    /** What an abort released. */
    record Released(int chunks, long bytes) {
    }

    Retention(ChunkStore store, Clock clock) {
        this.store = requireNonNull(store, "store");
        this.clock = requireNonNull(clock, "clock");
        this.startedAtMillis = clock.millis();
    }

    /** A new chunk was stored (by {@code session}, if given): its grace period starts now. */
    void arrived(ContentId id, Optional<String> session) {
        long now = clock.millis();
        arrivedAt.put(id, now);
        session.filter(name -> !ended.containsKey(name)).ifPresent(name -> {
            Session s = sessions.computeIfAbsent(name, x -> new Session());
            s.chunks.add(id);
            s.lastActiveMillis = now;
        });
    }

    /**
     * If {@code id} is stored, restarts its grace period (it was uploaded again, and a pin is on
     * its way), counts it as {@code session}'s too, and returns true.
     */
    boolean refreshIfStored(ContentId id, Optional<String> session) {
        synchronized (lock) {
            if (!store.contains(id)) {
                return false;
            }
            arrived(id, session);
            return true;
        }
    }

    /**
     * Ends {@code session}: deletes what it uploaded that no pin references ({@code pinned},
     * asked under the lock) and that no other live session uploaded too (content addressing
     * shares chunks between writers: another put may be about to pin the same bytes).
     */
    Released abort(String session, Predicate<ContentId> pinned) {
        this.ended.put(session, clock.millis());
        Session ended = sessions.remove(session);
        if (ended == null) {
            return new Released(0, 0);
        }
        int chunks = 0;
        long bytes = 0;
        synchronized (lock) {
            for (ContentId id : ended.chunks) {
                boolean shared = sessions.values().stream().anyMatch(s -> s.chunks.contains(id));
                if (shared || pinned.test(id)) {
                    continue;
                }
                long size = store.size(id).orElse(0);
                if (store.delete(id)) {
                    arrivedAt.remove(id);
                    chunks++;
                    bytes += size;
                }
            }
        }
        return new Released(chunks, bytes);
    }

    /** Forgets sessions idle since before {@code cutoffMillis} (their chunks keep their grace period). */
    void expireSessions(long cutoffMillis) {
        sessions.values().removeIf(s -> s.lastActiveMillis < cutoffMillis);
        ended.values().removeIf(at -> at < cutoffMillis);
    }

    /**
     * Deletes {@code id}, just stored by an upload of {@code session}, when its writer had already
     * ended the session (the upload was in flight when the abort arrived), unless a pin or a live
     * session wants it.
     *
     * @return whether it was taken back
     */
    boolean takeBackIfEnded(ContentId id, Optional<String> session, Predicate<ContentId> pinned) {
        if (session.isEmpty() || !ended.containsKey(session.get())) {
            return false;
        }
        synchronized (lock) {
            boolean shared = sessions.values().stream().anyMatch(s -> s.chunks.contains(id));
            if (shared || pinned.test(id) || !store.delete(id)) {
                return false;
            }
            arrivedAt.remove(id);
            return true;
        }
    }

    /** Runs {@code pin} under the lock; {@code pinned} chunks no longer need an arrival time. */
    <T> T pinning(Supplier<T> pin, Iterable<ContentId> pinned) {
        synchronized (lock) {
            T result = pin.get();
            pinned.forEach(arrivedAt::remove);
            return result;
        }
    }

    /** When {@code id} counts as arrived. */
    long arrivedAtMillis(ContentId id) {
        return arrivedAt.getOrDefault(id, startedAtMillis);
    }

    /**
     * Deletes {@code id} if it arrived before {@code cutoffMillis} and {@code pinned} (asked under
     * the lock, so no pin slips in between) says no pin references it.
     *
     * @return whether it was deleted
     */
    boolean deleteIfExpired(ContentId id, long cutoffMillis, Predicate<ContentId> pinned) {
        synchronized (lock) {
            if (arrivedAtMillis(id) >= cutoffMillis || pinned.test(id) || !store.delete(id)) {
                return false;
            }
            arrivedAt.remove(id);
            return true;
        }
    }
}
