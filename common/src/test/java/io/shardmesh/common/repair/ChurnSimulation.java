package io.shardmesh.common.repair;

import io.shardmesh.common.dht.Contact;
import io.shardmesh.common.dht.DhtNetworkSuite;
import io.shardmesh.common.dht.InMemoryNetwork;
import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.id.NodeId;
import io.shardmesh.common.transfer.Placement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * One simulated year of node churn over a set of stored stripes, on a virtual clock (discrete
 * events, nothing sleeps), with or without repair. The model is described, with its numbers, on
 * {@link DurabilitySimulationTest}; this class runs it.
 *
 * <p>Real: the repair rule ({@link RepairRule#due}, the rank in {@link RepairRule#order},
 * {@link RepairRule#repairsNow}, {@link RepairRule#missing}, {@link RepairRule#surplus}) evaluated
 * by every live holder at each of its checks (checks that could change nothing are skipped),
 * the placement rule ({@link Placement#rank}), the Kademlia nodes and their lookups (through
 * {@link LookupAnswers}), departures for good ({@code Member.kill()}) and arrivals (a new member
 * joining through a live node).
 * Modelled: sessions and absences (a node that is away still answers the in-memory DHT, which
 * cannot bring a killed node back, so "online" is this class's bookkeeping and the placer skips
 * a node that is away, as a store to it would fail), and the bytes (a repair is counted as
 * k shards fetched and one shard written per shard rebuilt; no bytes are coded).
 */
final class ChurnSimulation {

    /** The numbers of the model. */
    record Model(int k, int m, long shardBytes, Duration length, double sessionMedianHours, double sessionShape,
                 double absenceMedianMinutes, double absenceShape, double leaveForGoodPerDeparture, Duration interval,
                 double intervalJitter, Duration delay, Duration surplusWait) {

        int width() {
            return k + m;
        }
    }

    /** Where the stripes are at the start: ids and, per shard, the index of its first holder. */
    record Layout(int files, int stripesPerFile, List<ContentId[]> ids, List<int[]> holders) {
        int stripes() {
            return ids.size();
        }
    }

    /** What a year did. */
    record Result(boolean repair, long departures, long leftForGood, long stripesLost, long filesLost, long checks,
                  long repairs, long repairsBeforeDelay, long shardsRebuilt, long unplaced, long[] repairsByShardsRebuilt,
                  long bytesFetched, long bytesWritten, long surplusAppeared, long surplusDropped, long arrivalsJoined,
                  Duration joinTime, Duration wallTime) {
    }

    private static final int DEPART = 0;
    private static final int RETURN = 1;
    private static final int TICK = 2;

    private final Model model;
    private final Layout layout;
    private final boolean repair;
    private final InMemoryNetwork network;
    private final LookupAnswers answers;
    private final long end;
    private final double sessionScaleMillis;
    private final double absenceScaleMillis;
    private final SplittableRandom arrivals;
    private final SplittableRandom sim;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<NodeId, Node> byId = new HashMap<>();
    private final Stripe[] stripes;
    private final boolean[] fileLost;
    private final EventQueue queue = new EventQueue();

    private long departures;
    private long leftForGood;
    private long stripesLost;
    private long checks;
    private long repairs;
    private long beforeDelay;
    private long shardsRebuilt;
    private long unplaced;
    private final long[] repairsByShardsRebuilt;
    private long surplusAppeared;
    private long surplusDropped;
    private long arrivalsJoined;
    private long joinNanos;
    private boolean running;

    /**
     * @param members the initial nodes, by index in {@code layout}
     * @param network where arrivals join and departures are killed; null without repair (nothing
     *     is placed then, so the DHT is not needed)
     * @param seed the churn: two runs with one seed see the same sessions, absences and
     *     departures for good, node by node, whatever repair does
     */
    ChurnSimulation(Model model, Layout layout, List<DhtNetworkSuite.Member> members, InMemoryNetwork network,
                    LookupAnswers answers, long seed, boolean repair) {
        this.model = model;
        this.layout = layout;
        this.repair = repair;
        this.network = repair ? network : null;
        this.answers = answers;
        this.end = model.length().toMillis();
        // Pareto with shape a and median M has scale M / 2^(1/a).
        this.sessionScaleMillis = model.sessionMedianHours() * 3_600_000 / Math.pow(2, 1 / model.sessionShape());
        this.absenceScaleMillis = model.absenceMedianMinutes() * 60_000 / Math.pow(2, 1 / model.absenceShape());
        SplittableRandom master = new SplittableRandom(seed);
        this.arrivals = master.split();
        this.sim = master.split();
        this.repairsByShardsRebuilt = new long[model.width() + 1];
        for (DhtNetworkSuite.Member member : members) {
            Node n = new Node(nodes.size(), member, master.split());
            nodes.add(n);
            byId.put(n.id, n);
        }
        this.stripes = new Stripe[layout.stripes()];
        this.fileLost = new boolean[layout.files()];
        for (int s = 0; s < stripes.length; s++) {
            stripes[s] = new Stripe(s, layout.ids().get(s), model.width());
            int[] holders = layout.holders().get(s);
            for (int j = 0; j < holders.length; j++) {
                addHolding(nodes.get(holders[j]), stripes[s], j, 0);
            }
        }
    }

    Result run() {
        long started = System.nanoTime();
        running = true;
        for (Node n : nodes) {
            // Cut each first session at a uniform point, so that departures do not bunch at the start.
            schedule(n, (long) (sim.nextDouble() * session(n)), DEPART);
        }
        while (!queue.isEmpty()) {
            long key = queue.poll();
            long t = key >>> 26;
            int type = (int) (key >>> 24) & 3;
            Node n = nodes.get((int) (key & 0xFF_FFFF));
            switch (type) {
                case DEPART -> depart(n, t);
                case RETURN -> comeBack(n, t);
                default -> {
                    if (n.online && n.tickAt == t) {
                        check(n, t);
                    }
                }
            }
        }
        long files = 0;
        for (boolean lost : fileLost) {
            files += lost ? 1 : 0;
        }
        return new Result(repair, departures, leftForGood, stripesLost, files, checks, repairs, beforeDelay, shardsRebuilt,
                unplaced,
                repairsByShardsRebuilt.clone(), repairs * model.k() * model.shardBytes(),
                shardsRebuilt * model.shardBytes(), surplusAppeared, surplusDropped, arrivalsJoined,
                Duration.ofNanos(joinNanos), Duration.ofNanos(System.nanoTime() - started));
    }

    // ---- churn ----

    private void depart(Node n, long t) {
        departures++;
        // Both draws are made at every departure, so the churn streams stay aligned between runs.
        boolean forGood = n.churn.nextDouble() < model.leaveForGoodPerDeparture();
        long absence = pareto(n.churn, absenceScaleMillis, model.absenceShape());
        goOffline(n, t);
        if (forGood) {
            leaveForGood(n);
            arrive(t);
        } else {
            schedule(n, t + absence, RETURN);
        }
    }

    private void goOffline(Node n, long t) {
        n.online = false;
        n.tickAt = -1;
        for (Holding h : n.holdings) {
            // The process restarts: what its repair loop remembered is gone.
            h.degradedSince = h.dueSince = h.surplusSince = -1;
            Stripe s = h.stripe;
            if (--s.live[h.shard] == 0) {
                s.liveShards--;
            }
            s.liveCopies--;
            s.version++;
            wake(s, t);
        }
    }

    private void comeBack(Node n, long t) {
        n.online = true;
        for (Holding h : n.holdings) {
            Stripe s = h.stripe;
            if (s.live[h.shard]++ == 0) {
                s.liveShards++;
            } else {
                // Rebuilt elsewhere while this node was away: its own copy is now surplus.
                surplusAppeared++;
            }
            s.liveCopies++;
            s.version++;
            wake(s, t);
        }
        schedule(n, t + session(n), DEPART);
    }

    private void leaveForGood(Node n) {
        leftForGood++;
        n.departed = true;
        for (Holding h : n.holdings) {
            Stripe s = h.stripe;
            s.holders[h.shard].remove(h);
            if (--s.exist[h.shard] == 0) {
                s.existShards--;
            }
            s.version++;
            if (s.existShards < model.k() && !s.lost) {
                s.lost = true;
                stripesLost++;
                fileLost[s.index / layout.stripesPerFile()] = true;
            }
        }
        n.holdings.clear();
        if (network != null) {
            n.member.kill();
            answers.departed(n.id);
        }
    }

    /** A new node takes the place of one that left for good, joining through a live node. */
    private void arrive(long t) {
        DhtNetworkSuite.Member member = null;
        if (network != null) {
            long started = System.nanoTime();
            member = network.add(List.of(randomLiveNode().member.address()));
            joinNanos += System.nanoTime() - started;
            arrivalsJoined++;
        }
        Node n = new Node(nodes.size(), member, arrivals.split());
        nodes.add(n);
        if (member != null) {
            byId.put(n.id, n);
            answers.joined(n.id);
        }
        schedule(n, t + session(n), DEPART);
    }

    private Node randomLiveNode() {
        while (true) {
            Node n = nodes.get(sim.nextInt(nodes.size()));
            if (n.online && !n.departed) {
                return n;
            }
        }
    }

    // ---- repair: what each holder does at each of its checks (the server's Repairer.decide) ----

    /** A stripe that needs its holders' attention makes those that are not checking start again. */
    private void wake(Stripe s, long t) {
        if (!repair || !running || !s.needsAttention(model.width())) {
            return;
        }
        for (List<Holding> hs : s.holders) {
            for (Holding h : hs) {
                Node n = h.node;
                if (n.online && n.tickAt < 0 && h.hasWork(model.width())) {
                    // A node checks every interval whether or not anything is wrong; one with
                    // nothing to do is not simulated, and resumes at a random phase.
                    schedule(n, t + 1 + (long) (sim.nextDouble() * model.interval().toMillis()), TICK);
                }
            }
        }
    }

    private void check(Node n, long t) {
        checks++;
        int width = model.width();
        // Backwards: a surplus drop removes the holding at i and nothing before it.
        for (int i = n.holdings.size() - 1; i >= 0; i--) {
            Holding h = n.holdings.get(i);
            Stripe s = h.stripe;
            if (s.lost) {
                continue;
            }
            if (s.liveShards == width) {
                h.degradedSince = h.dueSince = -1;
                if (s.liveCopies > width && s.live[h.shard] > 1) {
                    if (h.surplusVersion != s.version) {
                        // The rule's answer only changes with who holds what, so it is asked once
                        // per change, and not at all by a holder that no other copy is closer than
                        // (the rule drops a copy only for a closer one).
                        h.surplus = closerCopyExists(h)
                                && RepairRule.surplus(n.id, s.idList, s.liveHolders()).contains(s.ids[h.shard]);
                        h.surplusVersion = s.version;
                    }
                    if (!h.surplus) {
                        h.surplusSince = -1;
                    } else if (h.surplusSince < 0) {
                        h.surplusSince = t;
                    } else if (t - h.surplusSince >= model.surplusWait().toMillis()) {
                        drop(n, i, h);
                    }
                } else {
                    h.surplusSince = -1;
                }
                continue;
            }
            h.surplusSince = -1;
            if (s.liveShards < model.k()) {
                continue;
            }
            if (h.degradedSince < 0) {
                h.degradedSince = t;
            }
            if (!RepairRule.due(s.liveShards, model.k(), model.m(), h.degradedSince, t, model.delay())) {
                continue;
            }
            if (h.dueSince < 0) {
                h.dueSince = t;
            }
            List<List<Contact>> live = s.liveHolders();
            int rank = s.rank(n.id);
            if (!RepairRule.repairsNow(rank, h.dueSince, t, model.interval())) {
                continue;
            }
            if (t - h.degradedSince < model.delay().toMillis()) {
                beforeDelay++;
            }
            rebuild(n, s, live, t);
            h.degradedSince = h.dueSince = -1;
        }
        boolean more = false;
        for (Holding h : n.holdings) {
            more |= h.hasWork(width);
        }
        if (more) {
            double j = model.intervalJitter();
            schedule(n, t + (long) (model.interval().toMillis() * (1 - j + 2 * j * sim.nextDouble())), TICK);
        } else {
            n.tickAt = -1;
        }
    }

    private static boolean closerCopyExists(Holding h) {
        ContentId id = h.stripe.ids[h.shard];
        for (Holding o : h.stripe.holders[h.shard]) {
            if (o != h && o.node.online && id.compareDistance(o.node.id, h.node.id) < 0) {
                return true;
            }
        }
        return false;
    }

    /** k shards fetched, the missing ones rebuilt and each placed by the placement rule. */
    private void rebuild(Node repairer, Stripe s, List<List<Contact>> live, long t) {
        List<Integer> missing = RepairRule.missing(live);
        if (missing.isEmpty()) {
            return;
        }
        repairs++;
        Set<NodeId> taken = new HashSet<>();
        live.forEach(hs -> hs.forEach(c -> taken.add(c.id())));
        int placed = 0;
        for (int j : missing) {
            ContentId id = s.ids[j];
            Optional<Contact> pick = answers.place(repairer.member, id, near -> choose(id, near, Map.of(), taken));
            if (pick.isEmpty()) {
                unplaced++;
                continue;
            }
            Node to = byId.get(pick.get().id());
            taken.add(to.id);
            addHolding(to, s, j, t);
            placed++;
        }
        shardsRebuilt += placed;
        repairsByShardsRebuilt[placed]++;
    }

    private void drop(Node n, int index, Holding h) {
        n.holdings.remove(index);
        Stripe s = h.stripe;
        s.holders[h.shard].remove(h);
        s.live[h.shard]--;
        s.exist[h.shard]--;
        s.liveCopies--;
        s.version++;
        surplusDropped++;
    }

    private void addHolding(Node to, Stripe s, int j, long t) {
        Holding h = new Holding(to, s, j);
        to.holdings.add(h);
        s.holders[j].add(h);
        if (s.exist[j]++ == 0) {
            s.existShards++;
        }
        if (to.online) {
            if (s.live[j]++ == 0) {
                s.liveShards++;
            }
            s.liveCopies++;
        }
        s.version++;
        wake(s, t);
    }

    /**
     * The placement decision over what a lookup returned: the nodes that would take the store
     * (online, not gone), ranked by {@link Placement#rank}; empty when none would.
     */
    Optional<Contact> choose(ContentId shard, List<Contact> near, Map<NodeId, Integer> usedInStripe, Set<NodeId> taken) {
        List<Contact> up = new ArrayList<>(near.size());
        for (Contact c : near) {
            Node n = byId.get(c.id());
            if (n != null && n.online && !n.departed) {
                up.add(c);
            }
        }
        List<Contact> ranked = Placement.rank(shard, up, usedInStripe, taken);
        return ranked.isEmpty() ? Optional.empty() : Optional.of(ranked.get(0));
    }

    // ---- initial placement ----

    /**
     * Stores {@code files} files of {@code stripesPerFile} stripes at time 0, each from a random
     * node: each shard goes where {@link Placement#rank} puts it among the nodes a real lookup
     * for its id returns.
     */
    static Layout place(List<DhtNetworkSuite.Member> members, int files, int stripesPerFile, int width,
                        LookupAnswers answers, SplittableRandom rng) {
        Map<NodeId, Integer> index = new HashMap<>();
        for (int i = 0; i < members.size(); i++) {
            index.put(members.get(i).kademlia().id(), i);
        }
        List<ContentId[]> ids = new ArrayList<>();
        List<int[]> holders = new ArrayList<>();
        for (int f = 0; f < files; f++) {
            DhtNetworkSuite.Member uploader = members.get(rng.nextInt(members.size()));
            for (int s = 0; s < stripesPerFile; s++) {
                ContentId[] stripe = new ContentId[width];
                int[] at = new int[width];
                Map<NodeId, Integer> used = new HashMap<>();
                for (int j = 0; j < width; j++) {
                    // Shard ids are SHA-256 of the shard's bytes: uniform, so random ones stand in.
                    ContentId id = new ContentId(rng.nextLong(), rng.nextLong(), rng.nextLong(), rng.nextLong());
                    stripe[j] = id;
                    Contact pick = answers.place(uploader, id, near -> {
                        List<Contact> ranked = Placement.rank(id, near, used, Set.of());
                        return ranked.isEmpty() ? Optional.empty() : Optional.of(ranked.get(0));
                    }).orElseThrow(() -> new IllegalStateException("a lookup in a full network returned no node"));
                    used.merge(pick.id(), 1, Integer::sum);
                    at[j] = index.get(pick.id());
                }
                ids.add(stripe);
                holders.add(at);
            }
        }
        return new Layout(files, stripesPerFile, ids, holders);
    }

    // ---- the pieces ----

    private long session(Node n) {
        return pareto(n.churn, sessionScaleMillis, model.sessionShape());
    }

    /** Pareto with the given scale and shape: heavy-tailed, infinite variance for shape below 2. */
    private static long pareto(SplittableRandom r, double scale, double shape) {
        return (long) (scale / Math.pow(1 - r.nextDouble(), 1 / shape));
    }

    private void schedule(Node n, long t, int type) {
        if (t > end) {
            return;
        }
        if (type == TICK) {
            n.tickAt = t;
        }
        queue.add(t << 26 | (long) type << 24 | n.index);
    }

    private static final class Node {
        final int index;
        final DhtNetworkSuite.Member member;
        final NodeId id;
        final Contact contact;
        final SplittableRandom churn;
        final List<Holding> holdings = new ArrayList<>(4);
        boolean online = true;
        boolean departed;
        long tickAt = -1;

        Node(int index, DhtNetworkSuite.Member member, SplittableRandom churn) {
            if (index >= 1 << 24) {
                throw new IllegalStateException("too many nodes for the event encoding: " + index);
            }
            this.index = index;
            this.member = member;
            this.id = member == null ? null : member.kademlia().id();
            this.contact = member == null ? null : member.kademlia().self();
            this.churn = churn;
        }
    }

    private static final class Stripe {
        final int index;
        final ContentId[] ids;
        final List<ContentId> idList;
        final List<Holding>[] holders;
        final int[] live;
        final int[] exist;
        int liveShards;
        int existShards;
        int liveCopies;
        boolean lost;
        long version;
        private long liveVersion = -1;
        private List<List<Contact>> liveHolders;
        private long orderVersion = -1;
        private List<Contact> order;

        @SuppressWarnings("unchecked")
        Stripe(int index, ContentId[] ids, int width) {
            this.index = index;
            this.ids = ids;
            this.idList = List.of(ids);
            this.holders = new List[width];
            for (int j = 0; j < width; j++) {
                holders[j] = new ArrayList<>(2);
            }
            this.live = new int[width];
            this.exist = new int[width];
        }

        boolean needsAttention(int width) {
            return !lost && (liveShards < width || liveCopies > width);
        }

        /** Per shard, its online holders: what a probe of the stripe's holders finds now. */
        List<List<Contact>> liveHolders() {
            if (liveVersion != version) {
                List<List<Contact>> out = new ArrayList<>(holders.length);
                for (List<Holding> hs : holders) {
                    List<Contact> on = new ArrayList<>(hs.size());
                    for (Holding h : hs) {
                        if (h.node.online) {
                            on.add(h.node.contact);
                        }
                    }
                    out.add(on);
                }
                liveHolders = out;
                liveVersion = version;
            }
            return liveHolders;
        }

        /**
         * {@link RepairRule#rank} of {@code self}: its place in {@link RepairRule#order}, which
         * is kept until the holders change (every holder of a degraded stripe asks at each check).
         */
        int rank(NodeId self) {
            if (orderVersion != version) {
                order = RepairRule.order(ids[0], liveHolders());
                orderVersion = version;
            }
            for (int i = 0; i < order.size(); i++) {
                if (order.get(i).id().equals(self)) {
                    return i;
                }
            }
            return -1;
        }
    }

    private static final class Holding {
        final Node node;
        final Stripe stripe;
        final int shard;
        long degradedSince = -1;
        long dueSince = -1;
        long surplusSince = -1;
        long surplusVersion = -1;
        boolean surplus;

        Holding(Node node, Stripe stripe, int shard) {
            this.node = node;
            this.stripe = stripe;
            this.shard = shard;
        }

        /**
         * Whether this holder's next check could do or remember anything: the stripe is
         * degraded, this shard has a second live copy, or the check would clear what it
         * remembered. Checks that would change nothing are not simulated.
         */
        boolean hasWork(int width) {
            Stripe s = stripe;
            if (s.lost) {
                return false;
            }
            return s.liveShards < width || s.live[shard] > 1 || degradedSince >= 0 || dueSince >= 0 || surplusSince >= 0;
        }
    }

    /** A binary min-heap of packed events (time, type, node): no allocation per event. */
    private static final class EventQueue {
        private long[] heap = new long[1 << 16];
        private int size;

        boolean isEmpty() {
            return size == 0;
        }

        void add(long key) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] <= key) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = key;
        }

        long poll() {
            long top = heap[0];
            long last = heap[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && heap[child + 1] < heap[child]) {
                    child++;
                }
                if (last <= heap[child]) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }
    }
}
