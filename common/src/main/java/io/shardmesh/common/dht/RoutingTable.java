package io.shardmesh.common.dht;

import static java.util.Objects.requireNonNull;

import io.shardmesh.common.id.Key256;
import io.shardmesh.common.id.NodeId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Kademlia's routing table: 256 k-buckets by XOR distance from this node, each ordered
 * least-recently seen first, each with a replacement cache. A full bucket does not drop a
 * contact that still answers: the caller pings the least-recently seen one and evicts it only
 * if it fails, which keeps long-lived nodes (the ones most likely to stay) in the table.
 *
 * <p>Thread-safe; every method is short and never blocks on I/O.
 */
public final class RoutingTable {

    /** What {@link #observe} did. */
    public sealed interface Observed permits Added, Updated, Ignored, BucketFull, TooManyFromNetwork {
    }

    /** A new contact went into its bucket. */
    public record Added(Contact contact) implements Observed {
    }

    /** A known contact moved to its bucket's tail (and its address was refreshed). */
    public record Updated(Contact contact) implements Observed {
    }

    /** The contact was this node. */
    public record Ignored() implements Observed {
    }

    /** The bucket is full: the newcomer waits in the replacement cache; ping {@code oldest}. */
    public record BucketFull(Contact newcomer, Contact oldest) implements Observed {
    }

    /**
     * The contact's network ({@link NetworkGroup}: its /24 or /48) already fills its share of the
     * bucket or of the table: refused, not even kept as a replacement.
     */
    public record TooManyFromNetwork(Contact contact, String network) implements Observed {
    }

    /**
     * The diversity rule (as kad-dht's peer-diversity filter): at most {@code perBucket}
     * contacts of one network in a bucket and {@code perTable} in the whole table, so ids minted
     * by the thousand on one network cannot crowd out the rest (a Sybil or eclipse attack).
     * Loopback, private and link-local addresses are exempt.
     */
    public record Diversity(int perBucket, int perTable) {
        /** Two per bucket, five per table. */
        public static final Diversity DEFAULT = new Diversity(2, 5);

        public Diversity {
            if (perBucket < 1 || perTable < perBucket) {
                throw new IllegalArgumentException("diversity limits must be positive and per table at least per bucket, got "
                        + perBucket + " and " + perTable);
            }
        }
    }

    /** One entry's state. */
    public record Entry(Contact contact, long firstSeenUnixMs, long lastSeenUnixMs, int failures) {
    }

    /** A bucket's sizes. */
    public record BucketInfo(int index, int size, int replacements, long lastTouchedUnixMs) {
    }

    private final NodeId self;
    private final int k;
    private final Bucket[] buckets = new Bucket[Key256.BITS];
    /** Which identity the table holds at each address (entries only, not replacements). */
    private final Map<String, NodeId> byAddress = new HashMap<>();
    private final Diversity diversity;
    /** Entries per network group, table-wide (exempt addresses are not counted). */
    private final Map<String, Integer> perGroup = new HashMap<>();

    public RoutingTable(NodeId self, int k) {
        this(self, k, Diversity.DEFAULT);
    }

    public RoutingTable(NodeId self, int k, Diversity diversity) {
        this.self = requireNonNull(self, "self");
        this.diversity = requireNonNull(diversity, "diversity");
        if (k < 1) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        this.k = k;
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new Bucket();
        }
    }

    public NodeId self() {
        return self;
    }

    public int k() {
        return k;
    }

    /**
     * Records that {@code contact} was heard from just now, at its address (callers pass only
     * contacts that answered there). Another identity in the table at the same address is
     * removed: one address is one process, so the old one is gone (a node rebuilt with a new key
     * on the old address), and both standing side by side would look like two hosts.
     */
    public synchronized Observed observe(Contact contact, long nowUnixMs) {
        int index = self.bucketIndex(contact.id());
        if (index < 0) {
            return new Ignored();
        }
        NodeId before = byAddress.get(contact.address());
        if (before != null && !before.equals(contact.id())) {
            remove(before);
        }
        Bucket b = buckets[index];
        b.touched = nowUnixMs;
        Entry known = b.entries.remove(contact.id());
        if (known != null) {
            // A known node keeps the address it was verified at: a claim of a new address (which
            // anyone could make in a request) never redirects it. If the node really moved, its
            // old address fails, the entry is evicted, and the new one is learnt afresh.
            b.entries.put(contact.id(), new Entry(known.contact(), known.firstSeenUnixMs(), nowUnixMs, 0));
            return new Updated(known.contact());
        }
        Optional<String> group = NetworkGroup.of(contact.host());
        if (group.isPresent() && !roomFor(b, group.get())) {
            b.replacements.removeIf(e -> e.contact().id().equals(contact.id()));
            return new TooManyFromNetwork(contact, group.get());
        }
        if (b.entries.size() < k) {
            b.replacements.removeIf(e -> e.contact().id().equals(contact.id()));
            add(b, new Entry(contact, nowUnixMs, nowUnixMs, 0));
            return new Added(contact);
        }
        b.replacements.removeIf(e -> e.contact().id().equals(contact.id()));
        b.replacements.addLast(new Entry(contact, nowUnixMs, nowUnixMs, 0));
        while (b.replacements.size() > k) {
            b.replacements.removeFirst();
        }
        return new BucketFull(contact, b.entries.values().iterator().next().contact());
    }

    /**
     * Records a failed call to {@code id}. After {@code maxFailures} in a row the contact is
     * removed and the freshest replacement takes its place.
     *
     * @return true if the contact was removed
     */
    public synchronized boolean failed(Contact contact, int maxFailures) {
        NodeId id = contact.id();
        int index = self.bucketIndex(id);
        if (index < 0) {
            return false;
        }
        Bucket b = buckets[index];
        Entry e = b.entries.get(id);
        if (e == null) {
            b.replacements.removeIf(r -> r.contact().equals(contact));
            return false;
        }
        if (!e.contact().equals(contact)) {
            // Someone named this node at another address and that address failed: not its fault.
            return false;
        }
        // As the Kademlia paper suggests: a contact that fails makes way at once for a fresher
        // one waiting in the replacement cache; with none waiting it keeps its place until it
        // has failed maxFailures times in a row (a short outage does not empty a bucket).
        if (e.failures() + 1 >= maxFailures || !b.replacements.isEmpty()) {
            remove(id);
            return true;
        }
        b.entries.put(id, new Entry(e.contact(), e.firstSeenUnixMs(), e.lastSeenUnixMs(), e.failures() + 1));
        return false;
    }

    /** Removes {@code id}, promoting the most recently seen replacement. */
    public synchronized boolean remove(NodeId id) {
        int index = self.bucketIndex(id);
        if (index < 0) {
            return false;
        }
        Bucket b = buckets[index];
        Entry gone = b.entries.remove(id);
        if (gone == null) {
            return b.replacements.removeIf(r -> r.contact().id().equals(id));
        }
        byAddress.remove(gone.contact().address(), id);
        NetworkGroup.of(gone.contact().host()).ifPresent(g -> perGroup.computeIfPresent(g, (x, n) -> n <= 1 ? null : n - 1));
        Entry promoted = b.replacements.pollLast();
        while (promoted != null && (byAddress.containsKey(promoted.contact().address())
                || NetworkGroup.of(promoted.contact().host()).map(g -> !roomFor(b, g)).orElse(false))) {
            // Its address has another identity in the table now (it is stale), or its network
            // filled up while it waited.
            promoted = b.replacements.pollLast();
        }
        if (promoted != null) {
            add(b, promoted);
        }
        return true;
    }

    private void add(Bucket b, Entry e) {
        b.entries.put(e.contact().id(), e);
        byAddress.put(e.contact().address(), e.contact().id());
        NetworkGroup.of(e.contact().host()).ifPresent(g -> perGroup.merge(g, 1, Integer::sum));
    }

    /** Whether one more contact of network {@code group} fits the diversity rule in {@code b} and the table. */
    private boolean roomFor(Bucket b, String group) {
        if (perGroup.getOrDefault(group, 0) >= diversity.perTable()) {
            return false;
        }
        long inBucket = b.entries.values().stream()
                .filter(e -> NetworkGroup.of(e.contact().host()).map(group::equals).orElse(false))
                .count();
        return inBucket < diversity.perBucket();
    }

    /** Up to {@code n} contacts closest to {@code target}, closest first. */
    public synchronized List<Contact> closest(Key256 target, int n) {
        return closest(target, n, false);
    }

    /**
     * Up to {@code n} contacts closest to {@code target}, closest first; with
     * {@code healthyFirst}, contacts whose last call failed come only after all the others (what
     * we tell other nodes should not send them to a node we could not reach).
     */
    public synchronized List<Contact> closest(Key256 target, int n, boolean healthyFirst) {
        // Only the buckets that can hold the answer are sorted. With i the bucket {@code target}
        // falls in, every contact of bucket i is nearer the target than any other (their distance
        // is below 2^i), those of all buckets below i come next (between 2^i and 2^(i+1)), and
        // each bucket j above i is farther than all before it (at least 2^j). A FindNode answer
        // thus sorts about one bucket, not the whole table.
        List<Entry> picked = new ArrayList<>();
        int i = self.bucketIndex(target);
        int healthy = 0;
        if (i >= 0) {
            healthy += take(buckets[i], picked);
        }
        if ((healthyFirst ? healthy : picked.size()) < n) {
            for (int j = i - 1; j >= 0; j--) {
                healthy += take(buckets[j], picked);
            }
        }
        for (int j = i + 1; j < buckets.length && (healthyFirst ? healthy : picked.size()) < n; j++) {
            healthy += take(buckets[j], picked);
        }
        picked.sort((a, c) -> {
            if (healthyFirst && (a.failures() == 0) != (c.failures() == 0)) {
                return a.failures() == 0 ? -1 : 1;
            }
            return target.compareDistance(a.contact().id(), c.contact().id());
        });
        List<Contact> out = new ArrayList<>(Math.min(n, picked.size()));
        for (int j = 0; j < picked.size() && out.size() < n; j++) {
            out.add(picked.get(j).contact());
        }
        if (healthyFirst) {
            out.sort((a, c) -> target.compareDistance(a.id(), c.id()));
        }
        return out;
    }

    /** Adds the entries of {@code b} to {@code into}; returns how many of them are healthy. */
    private static int take(Bucket b, List<Entry> into) {
        int healthy = 0;
        for (Entry e : b.entries.values()) {
            into.add(e);
            healthy += e.failures() == 0 ? 1 : 0;
        }
        return healthy;
    }

    /** The entry for {@code id}, if it is in the table. */
    public synchronized Optional<Entry> entry(NodeId id) {
        int index = self.bucketIndex(id);
        return index < 0 ? Optional.empty() : Optional.ofNullable(buckets[index].entries.get(id));
    }

    /** Every entry, in no particular order. */
    public synchronized List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        for (Bucket b : buckets) {
            out.addAll(b.entries.values());
        }
        return out;
    }

    /** Contacts in the table. */
    public synchronized int size() {
        int n = 0;
        for (Bucket b : buckets) {
            n += b.entries.size();
        }
        return n;
    }

    /** Non-empty buckets. */
    public synchronized List<BucketInfo> buckets() {
        List<BucketInfo> out = new ArrayList<>();
        for (int i = 0; i < buckets.length; i++) {
            Bucket b = buckets[i];
            if (!b.entries.isEmpty() || !b.replacements.isEmpty()) {
                out.add(new BucketInfo(i, b.entries.size(), b.replacements.size(), b.touched));
            }
        }
        return out;
    }

    /** Marks the bucket that {@code target} falls in as used (a lookup went there). */
    public synchronized void touch(Key256 target, long nowUnixMs) {
        int index = self.bucketIndex(target);
        if (index >= 0) {
            buckets[index].touched = nowUnixMs;
        }
    }

    /**
     * Buckets to refresh: those from the one holding this node's closest neighbour outward that
     * nothing touched since {@code olderThanUnixMs}. Buckets nearer than the closest neighbour
     * are empty by definition and stay so.
     */
    public synchronized List<Integer> staleBuckets(long olderThanUnixMs) {
        int lowest = -1;
        for (int i = 0; i < buckets.length && lowest < 0; i++) {
            if (!buckets[i].entries.isEmpty()) {
                lowest = i;
            }
        }
        List<Integer> out = new ArrayList<>();
        if (lowest < 0) {
            return out;
        }
        for (int i = lowest; i < buckets.length; i++) {
            if (buckets[i].touched < olderThanUnixMs) {
                out.add(i);
            }
        }
        return out;
    }

    /** A uniformly random id that falls in bucket {@code index} of this table. */
    public NodeId randomIdInBucket(int index) {
        if (index < 0 || index >= Key256.BITS) {
            throw new IllegalArgumentException("bucket index must be 0..255, got " + index);
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long[] w = {self.w0(), self.w1(), self.w2(), self.w3()};
        // Bits above `index` equal self's, bit `index` differs, bits below are random.
        int word = 3 - index / 64;
        int bit = index % 64;
        long below = bit == 0 ? 0L : (-1L >>> (64 - bit));
        long flip = 1L << bit;
        w[word] = (w[word] & ~(below | flip)) | (~w[word] & flip) | (r.nextLong() & below);
        for (int i = word + 1; i < 4; i++) {
            w[i] = r.nextLong();
        }
        return new NodeId(w[0], w[1], w[2], w[3]);
    }

    /** A random sample of up to {@code n} contacts (gossip). */
    public synchronized List<Contact> sample(int n) {
        List<Contact> all = new ArrayList<>();
        for (Bucket b : buckets) {
            for (Entry e : b.entries.values()) {
                all.add(e.contact());
            }
        }
        Collections.shuffle(all);
        return all.size() > n ? new ArrayList<>(all.subList(0, n)) : all;
    }

    private static final class Bucket {
        /** Insertion order = least-recently seen first (re-seen entries are re-inserted at the tail). */
        final LinkedHashMap<NodeId, Entry> entries = new LinkedHashMap<>();
        final ArrayDeque<Entry> replacements = new ArrayDeque<>();
        long touched;
    }
}
