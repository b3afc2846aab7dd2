package io.shardmesh.common.transfer;

import io.shardmesh.common.dht.Contact;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How many host losses a stripe survives, given who holds its shards. Hosts are told apart by
 * address ({@code host:port}, as {@link Placement} places them): two node ids at one address are
 * one process, and go down together.
 */
public final class Redundancy {

    /** Loss sets tried before the search settles for a greedy bound (many surplus copies). */
    private static final int EXACT_BUDGET = 200_000;

    private Redundancy() {
    }

    /**
     * How many of a stripe's holders can be lost, in the worst case, with at least {@code k} of
     * its shards left: m when its k + m shards are on k + m distinct hosts, less when one host
     * holds several; -1 when fewer than k are held.
     *
     * @param holders per shard, the node holding it (null: none)
     */
    public static int lossesSurvivable(Collection<Contact> holders, int k) {
        return lossesSurvivable(holders.stream().map(c -> c == null ? List.<Contact>of() : List.of(c)).toList(), k);
    }

    /**
     * How many hosts can be lost, in the worst case, with at least {@code k} of the stripe's
     * shards still held somewhere; at most n - k for n shards (a spare copy of a shard does not
     * count twice); -1 when fewer than k are held now. Every set of up to n - k hosts is tried
     * (a stripe has few holders), or, past {@link #EXACT_BUDGET} sets, the hosts whose loss costs
     * the most shards are taken first, which may overstate it.
     *
     * @param liveHolders per shard, its live holders
     */
    public static int lossesSurvivable(List<List<Contact>> liveHolders, int k) {
        int n = liveHolders.size();
        Map<String, Integer> hostIndex = new HashMap<>();
        long[] hostsOf = new long[n];
        boolean[] overflow = new boolean[n];
        int available = 0;
        for (int j = 0; j < n; j++) {
            for (Contact c : liveHolders.get(j)) {
                int h = hostIndex.computeIfAbsent(c.address(), x -> hostIndex.size());
                if (h < Long.SIZE) {
                    hostsOf[j] |= 1L << h;
                } else {
                    overflow[j] = true;
                }
            }
            if (!liveHolders.get(j).isEmpty()) {
                available++;
            }
        }
        if (available < k) {
            return -1;
        }
        int hosts = Math.min(hostIndex.size(), Long.SIZE);
        // Shards whose holders go past 64 hosts are rare (surplus copies galore): they count as always held.
        int cap = n - k;
        for (int s = 1; s <= Math.min(cap, hosts); s++) {
            if (binomial(hosts, s) > EXACT_BUDGET) {
                return greedy(hostsOf, hosts, k, s - 1, cap, overflow);
            }
            if (someLossOf(s, hosts, hostsOf, k, overflow)) {
                return s - 1;
            }
        }
        // No set of up to n - k hosts holds more than n - k shards' only copies.
        return cap;
    }

    /** Whether losing some {@code s} of the hosts leaves fewer than {@code k} shards held. */
    private static boolean someLossOf(int s, int hosts, long[] hostsOf, int k, boolean[] overflow) {
        int[] pick = new int[s];
        for (int i = 0; i < s; i++) {
            pick[i] = i;
        }
        while (true) {
            long lost = 0;
            for (int p : pick) {
                lost |= 1L << p;
            }
            if (heldAfter(hostsOf, lost, overflow) < k) {
                return true;
            }
            int i = s - 1;
            while (i >= 0 && pick[i] == hosts - s + i) {
                i--;
            }
            if (i < 0) {
                return false;
            }
            pick[i]++;
            for (int j = i + 1; j < s; j++) {
                pick[j] = pick[j - 1] + 1;
            }
        }
    }

    /** Losses survived past {@code survived} (all smaller loss sets tried), taking the costliest host each time. */
    private static int greedy(long[] hostsOf, int hosts, int k, int survived, int cap, boolean[] overflow) {
        long lost = 0;
        int count = 0;
        while (count < Math.min(cap + 1, hosts)) {
            int worst = -1;
            int worstHeld = Integer.MAX_VALUE;
            for (int h = 0; h < hosts; h++) {
                if ((lost & (1L << h)) == 0) {
                    int held = heldAfter(hostsOf, lost | (1L << h), overflow);
                    if (held < worstHeld) {
                        worstHeld = held;
                        worst = h;
                    }
                }
            }
            lost |= 1L << worst;
            count++;
            if (worstHeld < k) {
                return Math.max(survived, count - 1);
            }
        }
        return Math.max(survived, Math.min(cap, count));
    }

    private static int heldAfter(long[] hostsOf, long lost, boolean[] overflow) {
        int held = 0;
        for (int j = 0; j < hostsOf.length; j++) {
            if ((hostsOf[j] & ~lost) != 0 || overflow[j]) {
                held++;
            }
        }
        return held;
    }

    private static long binomial(int n, int r) {
        long c = 1;
        for (int i = 1; i <= r; i++) {
            c = c * (n - r + i) / i;
        }
        return c;
    }

    /**
     * Per shard, the holder it counts on (null: none), no host for two shards: a maximum matching
     * of shards to the hosts that confirmed them, found by augmenting paths with shards and their
     * holders taken in order, so every node computes the same one. A shard left without a host
     * is not held for redundancy's sake: it has no live holder, or it is the second shard of a
     * host that holds two (a put that fell back to fewer hosts), or its bytes equal another
     * shard's (an all-zero stripe has one chunk id for all its shards) and fewer hosts hold
     * them than it has shards.
     *
     * @param liveHolders per shard, its live holders
     */
    public static List<Contact> spread(List<List<Contact>> liveHolders) {
        int n = liveHolders.size();
        Map<String, Integer> hostOf = new HashMap<>();
        List<String> hosts = new ArrayList<>();
        List<int[]> candidates = new ArrayList<>(n);
        for (List<Contact> hs : liveHolders) {
            candidates.add(hs.stream().map(Contact::address).distinct()
                    .mapToInt(a -> hostOf.computeIfAbsent(a, x -> {
                        hosts.add(x);
                        return hosts.size() - 1;
                    })).toArray());
        }
        int[] shardOnHost = new int[hosts.size()];
        Arrays.fill(shardOnHost, -1);
        for (int j = 0; j < n; j++) {
            augment(j, candidates, shardOnHost, new boolean[hosts.size()]);
        }
        List<Contact> out = new ArrayList<>(Collections.nCopies(n, (Contact) null));
        for (int h = 0; h < shardOnHost.length; h++) {
            int j = shardOnHost[h];
            if (j >= 0) {
                String address = hosts.get(h);
                out.set(j, liveHolders.get(j).stream().filter(c -> c.address().equals(address)).findFirst().orElseThrow());
            }
        }
        return out;
    }

    /** Kuhn's step: finds shard {@code j} a host, moving shards matched before along a path. */
    private static boolean augment(int j, List<int[]> candidates, int[] shardOnHost, boolean[] visited) {
        for (int h : candidates.get(j)) {
            if (!visited[h]) {
                visited[h] = true;
                if (shardOnHost[h] < 0 || augment(shardOnHost[h], candidates, shardOnHost, visited)) {
                    shardOnHost[h] = j;
                    return true;
                }
            }
        }
        return false;
    }
}
