package io.shardmesh.common.dht;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.Key256;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.log.NodeLog;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * Kademlia's iterative lookup, as one Reactor {@link Mono} over a {@link DhtTransport}.
 *
 * <p>The shortlist is ordered by XOR distance to the target. At most α requests are in flight,
 * always to the closest contacts not yet asked. The lookup ends when the k closest contacts that
 * did not fail have all answered, when no one is left to ask, or when the budget runs out (then
 * with the best result so far). Contacts that fail are dropped from the shortlist and reported,
 * so the routing table can penalise them. Replies are sanitised: duplicates, the caller itself
 * and contacts past {@code maxContactsPerReply} are ignored, so a stuffed reply cannot blow up
 * the shortlist.
 *
 * <p>A value lookup also collects the records the nodes return; each is verified before it is
 * kept. With {@code stopAtFirst} it ends at the first node that has any.
 *
 * <p>A lookup walks {@link KademliaConfig#disjointPaths()} paths at once, as S/Kademlia does:
 * the seeds are dealt out among them by distance, each path keeps its own shortlist, and a node
 * one path has asked is never asked by another. Hostile nodes that answer only with each other
 * then capture the paths that reach them, not the whole lookup: it succeeds when one path stays
 * honest. The paths' answers are merged (the k closest that responded, the newest record per
 * publisher); a value lookup with {@code stopAtFirst} ends when any path finds a record.
 */
public final class Lookup {


    /** What a lookup found. */
    public record Result(List<Contact> closest, List<DhtRecord> records, int rpcs, int hops, boolean complete) {
        public Result {
            closest = List.copyOf(closest);
            records = List.copyOf(records);
        }
    }

    private Lookup() {
    }

    /**
     * Finds the k contacts closest to {@code target}.
     *
     * @param suspect contacts not to ask (they failed recently); learnt ones are skipped too
     */
    public static Mono<Result> nodes(Key256 target, NodeId self, List<Contact> seeds, DhtTransport transport,
                                     KademliaConfig config, Clock clock, Scheduler timer, ContactListener listener,
                                     Predicate<Contact> suspect) {
        return disjoint(target, seeds, config, false, (pathSeeds, claims) -> Mono.create(sink -> new Run(target, null,
                Optional.empty(), false, self, pathSeeds, transport, config, clock, timer, listener, suspect, claims, sink).start()));
    }

    /** Finds the records for {@code key}, walking towards it like {@link #nodes}. */
    public static Mono<Result> value(ContentId key, Optional<RecordKind> kind, boolean stopAtFirst, NodeId self,
                                     List<Contact> seeds, DhtTransport transport, KademliaConfig config, Clock clock,
                                     Scheduler timer, ContactListener listener, Predicate<Contact> suspect) {
        return disjoint(key, seeds, config, stopAtFirst, (pathSeeds, claims) -> Mono.create(sink -> new Run(key, key, kind,
                stopAtFirst, self, pathSeeds, transport, config, clock, timer, listener, suspect, claims, sink).start()));
    }

    /**
     * What the paths of one lookup share: which path asked which node (the first to claim a node
     * is the only one to ask it), and the records whose signatures were checked, so that a record
     * several paths receive is verified once (Ed25519 verification is most of a lookup's CPU).
     */
    private static final class Claims {
        private final Map<NodeId, Run> asked = new ConcurrentHashMap<>();
        /** Records whose signature this lookup has checked (equal records carry equal signatures). */
        private final Map<DhtRecord, Boolean> verified = new ConcurrentHashMap<>();
        private final boolean shared;

        Claims(boolean shared) {
            this.shared = shared;
        }

        boolean claim(NodeId id, Run path) {
            if (!shared) {
                return true;
            }
            Run owner = asked.putIfAbsent(id, path);
            return owner == null || owner == path;
        }
    }

    /** Deals the seeds out to the paths (closest to path 0, next to path 1, …) and merges what they find. */
    private static Mono<Result> disjoint(Key256 target, List<Contact> seeds, KademliaConfig config, boolean stopAtFirst,
                                         BiFunction<List<Contact>, Claims, Mono<Result>> path) {
        TreeMap<NodeId, Contact> byDistance = new TreeMap<>(Key256.closestTo(target));
        seeds.forEach(c -> byDistance.putIfAbsent(c.id(), c));
        List<Contact> sorted = new ArrayList<>(byDistance.values());
        int paths = Math.max(1, Math.min(config.disjointPaths(), sorted.size()));
        if (paths == 1) {
            return path.apply(sorted, new Claims(false));
        }
        List<List<Contact>> dealt = new ArrayList<>();
        for (int i = 0; i < paths; i++) {
            dealt.add(new ArrayList<>());
        }
        for (int i = 0; i < sorted.size(); i++) {
            dealt.get(i % paths).add(sorted.get(i));
        }
        Claims claims = new Claims(true);
        Flux<Result> results = Flux.fromIterable(dealt)
                .flatMap(d -> path.apply(d, claims), paths);
        if (stopAtFirst) {
            results = results.takeUntil(r -> !r.records().isEmpty());
        }
        return results.collectList().map(rs -> merge(target, config.k(), rs));
    }

    private static Result merge(Key256 target, int k, List<Result> paths) {
        TreeMap<NodeId, Contact> closest = new TreeMap<>(Key256.closestTo(target));
        Map<String, DhtRecord> records = new HashMap<>();
        int rpcs = 0;
        int hops = 0;
        boolean complete = true;
        boolean found = false;
        for (Result r : paths) {
            r.closest().forEach(c -> closest.putIfAbsent(c.id(), c));
            r.records().forEach(rec -> keepNewest(records, rec));
            rpcs += r.rpcs();
            hops = Math.max(hops, r.hops());
            complete &= r.complete();
            found |= !r.records().isEmpty();
        }
        List<Contact> best = closest.values().stream().limit(k).toList();
        return new Result(best, new ArrayList<>(records.values()), rpcs, hops, complete || found);
    }

    /** Keeps one record per kind and publisher: the newest. */
    private static void keepNewest(Map<String, DhtRecord> records, DhtRecord r) {
        String slot = r.kind() + "/" + r.publisherId();
        DhtRecord held = records.get(slot);
        if (held == null || held.publishedAtUnixMs() < r.publishedAtUnixMs()) {
            records.put(slot, r);
        }
    }

    /** {@code TAKEN}: another path asked that node first; this one leaves it out, as if it had failed. */
    private enum State { WAITING, IN_FLIGHT, RESPONDED, FAILED, TAKEN }

    private static final class Candidate {
        final Contact contact;
        final int depth;
        State state = State.WAITING;

        Candidate(Contact contact, int depth) {
            this.contact = contact;
            this.depth = depth;
        }
    }

    private static final class Run {
        private final Key256 target;
        private final ContentId valueKey;
        private final Optional<RecordKind> kind;
        private final boolean stopAtFirst;
        private final NodeId self;
        private final DhtTransport transport;
        private final KademliaConfig config;
        private final Clock clock;
        private final Scheduler timer;
        private final ContactListener listener;
        private final Predicate<Contact> suspect;
        private final Claims claims;
        private final MonoSink<Result> sink;
        private final TreeMap<NodeId, Candidate> shortlist;
        private final Map<String, DhtRecord> records = new HashMap<>();
        private final Disposable.Composite inFlight = Disposables.composite();
        /** Drain-loop guard: a transport that answers synchronously must not re-enter the pump. */
        private final AtomicInteger wip = new AtomicInteger();
        private final long deadlineMillis;
        private int rpcs;
        private int running;
        private boolean done;
        private boolean found;

        Run(Key256 target, ContentId valueKey, Optional<RecordKind> kind, boolean stopAtFirst, NodeId self,
            List<Contact> seeds, DhtTransport transport, KademliaConfig config, Clock clock, Scheduler timer,
            ContactListener listener, Predicate<Contact> suspect, Claims claims, MonoSink<Result> sink) {
            this.target = target;
            this.valueKey = valueKey;
            this.kind = kind;
            this.stopAtFirst = stopAtFirst;
            this.self = self;
            this.transport = transport;
            this.config = config;
            this.clock = clock;
            this.timer = timer;
            this.listener = listener;
            this.suspect = suspect;
            this.claims = claims;
            this.sink = sink;
            this.shortlist = new TreeMap<>(Key256.closestTo(target));
            this.deadlineMillis = clock.millis() + config.lookupBudget().toMillis();
            for (Contact c : seeds) {
                if (!c.id().equals(self) && !suspect.test(c)) {
                    shortlist.putIfAbsent(c.id(), new Candidate(c, 0));
                }
            }
        }

        void start() {
            sink.onDispose(inFlight);
            inFlight.add(Mono.delay(config.lookupBudget(), timer).subscribe(t -> finish(false)));
            pump();
        }

        private void pump() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            do {
                List<Candidate> toAsk = new ArrayList<>();
                Result finished = null;
                synchronized (this) {
                    if (done) {
                        return;
                    }
                    int seen = 0;
                    boolean allClosestAnswered = true;
                    for (Candidate c : shortlist.values()) {
                        if (c.state == State.FAILED || c.state == State.TAKEN) {
                            continue;
                        }
                        if (c.state == State.WAITING && running < config.alpha() && !claims.claim(c.contact.id(), this)) {
                            c.state = State.TAKEN;
                            continue;
                        }
                        if (seen++ >= config.k()) {
                            break;
                        }
                        if (c.state != State.RESPONDED) {
                            allClosestAnswered = false;
                        }
                        if (c.state == State.WAITING && running < config.alpha()) {
                            c.state = State.IN_FLIGHT;
                            running++;
                            rpcs++;
                            toAsk.add(c);
                        }
                    }
                    if ((stopAtFirst && found) || (allClosestAnswered && running == 0) || (toAsk.isEmpty() && running == 0)) {
                        done = true;
                        finished = result(true);
                    }
                }
                if (finished != null) {
                    inFlight.dispose();
                    sink.success(finished);
                    return;
                }
                for (Candidate c : toAsk) {
                    ask(c);
                }
            } while (wip.decrementAndGet() != 0);
        }

        private void ask(Candidate c) {
            long remaining = deadlineMillis - clock.millis();
            // A call whose deadline the lookup's own budget cut short is not the callee's fault.
            boolean clamped = remaining < config.rpcTimeout().toMillis();
            Duration timeout = Duration.ofMillis(Math.max(1, Math.min(config.rpcTimeout().toMillis(), remaining)));
            long started = System.nanoTime();
            Mono<DhtTransport.ValueReply> call = valueKey == null
                    ? transport.findNode(c.contact, target, timeout).map(cs -> new DhtTransport.ValueReply(List.of(), cs))
                    : transport.findValue(c.contact, valueKey, kind, timeout);
            inFlight.add(call.subscribe(
                    reply -> answered(c, reply, (System.nanoTime() - started) / 1_000_000),
                    error -> failed(c, error, clamped)));
        }

        private void answered(Candidate c, DhtTransport.ValueReply reply, long rttMillis) {
            listener.responded(c.contact, rttMillis);
            List<DhtRecord> valid = new ArrayList<>();
            long now = clock.millis();
            for (DhtRecord r : reply.records()) {
                try {
                    if (!r.key().equals(valueKey) || kind.map(k -> k != r.kind()).orElse(false)) {
                        continue;
                    }
                    // The nodes asked mostly return the same records: check each signature once per
                    // lookup, also when two paths receive one at the same moment.
                    claims.verified.computeIfAbsent(r, x -> {
                        x.verify(now, config);
                        return Boolean.TRUE;
                    });
                    valid.add(r);
                } catch (RuntimeException e) {
                    NodeLog.logger(Lookup.class, self).debug("dropping a bad record from {}: {}", c.contact, e.getMessage());
                }
            }
            synchronized (this) {
                if (done) {
                    return;
                }
                running--;
                c.state = State.RESPONDED;
                for (DhtRecord r : valid) {
                    keepNewest(records, r);
                }
                found |= !valid.isEmpty();
                Set<NodeId> fromThisReply = new LinkedHashSet<>();
                for (Contact learned : reply.contacts()) {
                    if (fromThisReply.size() >= config.maxContactsPerReply()) {
                        break;
                    }
                    if (learned.id().equals(self) || !fromThisReply.add(learned.id()) || suspect.test(learned)) {
                        continue;
                    }
                    shortlist.putIfAbsent(learned.id(), new Candidate(learned, c.depth + 1));
                }
            }
            pump();
        }

        private void failed(Candidate c, Throwable error, boolean clamped) {
            if (!clamped) {
                listener.failed(c.contact);
            }
            synchronized (this) {
                if (done) {
                    return;
                }
                running--;
                c.state = State.FAILED;
            }
            pump();
        }

        private void finish(boolean complete) {
            Result r;
            synchronized (this) {
                if (done) {
                    return;
                }
                done = true;
                r = result(complete);
            }
            inFlight.dispose();
            sink.success(r);
        }

        /** Called under the lock. */
        private Result result(boolean complete) {
            List<Contact> closest = new ArrayList<>();
            int hops = 0;
            for (Candidate c : shortlist.values()) {
                if (c.state == State.RESPONDED) {
                    hops = Math.max(hops, c.depth + 1);
                    if (closest.size() < config.k()) {
                        closest.add(c.contact);
                    }
                }
            }
            return new Result(closest, new ArrayList<>(records.values()), rpcs, hops, complete);
        }
    }
}
