package io.shardmesh.common.transfer;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.error.MeshException;
import io.shardmesh.common.hash.Sha256;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * Fetches one stripe: the k data shards first, each from its first holder; a fetch that fails,
 * returns bytes that do not match the shard id, or is slower than the hedge delay makes the
 * reader ask for another (a failed shard elsewhere, else a shard not started yet; once every
 * shard is started, a missing shard elsewhere). The first k shards that verify win and every
 * other fetch is cancelled.
 */
final class StripeFetch {

    private StripeFetch() {
    }

    /**
     * @return k + m shard slots, the k fetched ones filled (enough to decode)
     */
    static Mono<byte[][]> fetch(int stripe, List<ContentId> ids, int shardLength, int k, List<List<Contact>> sources,
                                Mesh mesh, FileGet.Hedge hedge, Scheduler timer, Consumer<NodeId> markBad) {
        return Mono.create(sink -> new Run(stripe, ids, shardLength, k, sources, mesh, hedge, timer, markBad, sink).start());
    }

    private record Attempt(int shard, Contact from) {
    }

    private static final class Run {
        private final int stripe;
        private final List<ContentId> ids;
        private final int shardLength;
        private final int k;
        private final Mesh mesh;
        private final FileGet.Hedge hedge;
        private final Scheduler timer;
        private final Consumer<NodeId> markBad;
        private final MonoSink<byte[][]> sink;
        private final byte[][] got;
        private final boolean[] started;
        /** Fetches launched per shard, so hedges spread over the missing shards. */
        private final int[] attempts;
        private final Deque<Contact>[] alternates;
        /** Shards not started yet, data first. */
        private final Deque<Integer> unstarted = new ArrayDeque<>();
        private final Disposable.Composite inFlight = Disposables.composite();
        private int have;
        private int running;
        private int failures;
        private boolean done;
        private String lastError = "no holder known";

        @SuppressWarnings("unchecked")
        Run(int stripe, List<ContentId> ids, int shardLength, int k, List<List<Contact>> sources, Mesh mesh,
            FileGet.Hedge hedge, Scheduler timer, Consumer<NodeId> markBad, MonoSink<byte[][]> sink) {
            this.stripe = stripe;
            this.ids = ids;
            this.shardLength = shardLength;
            this.k = k;
            this.mesh = mesh;
            this.hedge = hedge;
            this.timer = timer;
            this.markBad = markBad;
            this.sink = sink;
            this.got = new byte[ids.size()][];
            this.started = new boolean[ids.size()];
            this.attempts = new int[ids.size()];
            this.alternates = new Deque[ids.size()];
            for (int j = 0; j < ids.size(); j++) {
                alternates[j] = new ArrayDeque<>(sources.get(j));
                unstarted.add(j);
            }
        }

        void start() {
            sink.onDispose(inFlight);
            synchronized (this) {
                for (int i = 0; i < k; i++) {
                    launchNext();
                }
            }
            scheduleHedge();
            checkDone();
        }

        private void scheduleHedge() {
            inFlight.add(Mono.delay(hedge.delay(), timer).subscribe(t -> {
                synchronized (this) {
                    if (done) {
                        return;
                    }
                    // Slow: ask one more source without cancelling the slow one. Once every shard
                    // is started, that source is another holder of a shard still missing: else a
                    // stalled fetch whose shard has other holders (the identical zero-padding
                    // shards of a short last stripe share theirs, and all start on the first)
                    // would only be routed around when its call deadline fails it, 35 s later.
                    if (!launchNext()) {
                        launchAlternate();
                    }
                }
                scheduleHedge();
                checkDone();
            }));
        }

        /** Starts a fetch for the next shard that has a source; under the lock. False: none left. */
        private boolean launchNext() {
            while (!done && !unstarted.isEmpty()) {
                int j = unstarted.poll();
                if (got[j] != null) {
                    continue;
                }
                Contact from = alternates[j].poll();
                if (from != null) {
                    launch(new Attempt(j, from));
                    return true;
                }
            }
            return false;
        }

        /**
         * Asks another holder of a started shard that has not arrived, the one with the fewest
         * fetches so far (data shards first on a tie); the slow fetch keeps running. Under the lock.
         */
        private void launchAlternate() {
            int best = -1;
            for (int j = 0; j < ids.size(); j++) {
                if (!done && started[j] && got[j] == null && !alternates[j].isEmpty()
                        && (best < 0 || attempts[j] < attempts[best])) {
                    best = j;
                }
            }
            if (best >= 0) {
                launch(new Attempt(best, alternates[best].poll()));
            }
        }

        private void launch(Attempt a) {
            started[a.shard()] = true;
            attempts[a.shard()]++;
            running++;
            long t0 = System.nanoTime();
            inFlight.add(mesh.getChunk(a.from(), ids.get(a.shard()))
                    .subscribe(bytes -> arrived(a, bytes, (System.nanoTime() - t0) / 1_000_000),
                            error -> failed(a, error.getMessage())));
        }

        private void arrived(Attempt a, byte[] bytes, long millis) {
            if (bytes.length != shardLength || !Sha256.of(bytes).equals(ids.get(a.shard()))) {
                markBad.accept(a.from().id());
                failed(a, a.from() + " served bytes that do not match shard " + ids.get(a.shard()));
                return;
            }
            hedge.observe(millis);
            synchronized (this) {
                running--;
                ContentId id = ids.get(a.shard());
                for (int j = 0; j < ids.size() && !done; j++) {
                    // The same bytes fill every slot with this id (a short last stripe's zero
                    // padding shards are identical): fetching them again would be wasted.
                    if (got[j] == null && ids.get(j).equals(id)) {
                        got[j] = bytes;
                        have++;
                    }
                }
            }
            checkDone();
        }

        private void failed(Attempt a, String why) {
            synchronized (this) {
                running--;
                failures++;
                lastError = why;
                if (done) {
                    return;
                }
                if (got[a.shard()] == null) {
                    Contact next = alternates[a.shard()].poll();
                    if (next != null) {
                        launch(new Attempt(a.shard(), next));
                        return;
                    }
                }
                launchNext();
            }
            checkDone();
        }

        private void checkDone() {
            byte[][] result = null;
            MeshException error = null;
            synchronized (this) {
                if (done) {
                    return;
                }
                if (have >= k) {
                    done = true;
                    result = got.clone();
                } else if (running == 0 && unstarted.stream().allMatch(j -> alternates[j].isEmpty())) {
                    done = true;
                    error = MeshException.unavailable("stripe " + stripe + ": only " + have + " of the " + k
                            + " shards it needs could be fetched (" + failures + " fetch(es) failed; last: " + lastError + ")");
                }
            }
            if (result != null) {
                inFlight.dispose();
                sink.success(result);
            } else if (error != null) {
                inFlight.dispose();
                sink.error(error);
            }
        }
    }
}
