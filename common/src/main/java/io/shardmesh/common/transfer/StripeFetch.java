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
import reactor.core.scheduler.Schedulers;

/**
 * Fetches one stripe: the k data shards first, each from its first holder; a fetch that fails,
 * returns bytes that do not match the shard id, or is slower than the hedge delay makes the
 * reader ask for another (the same shard elsewhere, then parity shards). The first k shards
 * that verify win and every other fetch is cancelled.
 */
final class StripeFetch {

    private StripeFetch() {
    }

    /**
     * @return k + m shard slots, the k fetched ones filled (enough to decode)
     */
    static Mono<byte[][]> fetch(int stripe, List<ContentId> ids, int shardLength, int k, List<List<Contact>> sources,
                                Mesh mesh, FileGet.Hedge hedge, Consumer<NodeId> markBad) {
        return Mono.create(sink -> new Run(stripe, ids, shardLength, k, sources, mesh, hedge, markBad, sink).start());
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
        private final Consumer<NodeId> markBad;
        private final MonoSink<byte[][]> sink;
        private final byte[][] got;
        private final boolean[] started;
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
            FileGet.Hedge hedge, Consumer<NodeId> markBad, MonoSink<byte[][]> sink) {
            this.stripe = stripe;
            this.ids = ids;
            this.shardLength = shardLength;
            this.k = k;
            this.mesh = mesh;
            this.hedge = hedge;
            this.markBad = markBad;
            this.sink = sink;
            this.got = new byte[ids.size()][];
            this.started = new boolean[ids.size()];
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
            inFlight.add(Mono.delay(hedge.delay(), Schedulers.parallel()).subscribe(t -> {
                synchronized (this) {
                    if (done) {
                        return;
                    }
                    // Slow: ask one more source without cancelling the slow one.
                    launchNext();
                }
                scheduleHedge();
                checkDone();
            }));
        }

        /** Starts a fetch for the next shard that has a source; under the lock. */
        private void launchNext() {
            while (!done && !unstarted.isEmpty()) {
                int j = unstarted.poll();
                Contact from = alternates[j].poll();
                if (from != null) {
                    launch(new Attempt(j, from));
                    return;
                }
            }
        }

        private void launch(Attempt a) {
            started[a.shard()] = true;
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
                if (!done && got[a.shard()] == null) {
                    got[a.shard()] = bytes;
                    have++;
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
