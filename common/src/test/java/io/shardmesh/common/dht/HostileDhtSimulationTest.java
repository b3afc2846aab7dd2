package io.shardmesh.common.dht;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardmesh.common.id.ContentId;
import io.shardmesh.common.net.HostPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Thousands of nodes on the in-memory network, a share of them hostile and colluding: they
 * answer every FindNode and FindValue with each other and drop every store. Honest nodes publish
 * records and other honest nodes look them up. The product's lookup (disjoint paths) must find
 * them at least 95% of the time with 20% hostile nodes and 90% with 30%; plain Kademlia (one
 * path) on the same network is measured beside it. Sybils on one /24 fill at most the diversity
 * cap of any honest table.
 */
class HostileDhtSimulationTest {

    private static final int NODES = Integer.getInteger("shardmesh.sim.nodes", 2000);
    private static final int TRIALS = Integer.getInteger("shardmesh.sim.trials", 200);
    /** Also measure plain Kademlia (one path) on a second network, for the README's comparison (about 45 s more). */
    private static final boolean BASELINE = Boolean.getBoolean("shardmesh.sim.baseline");

    /** What one share of hostile nodes did to lookups. */
    private record Outcome(int paths, double hostileShare, int found, int trials, List<Integer> hops, List<Integer> rpcs) {
        double share() {
            return found / (double) trials;
        }
    }

    @Test
    void honestRecords_areFoundDespiteTwentyAndThirtyPercentHostileNodes() {
        KademliaConfig product = KademliaConfig.defaults();
        assertThat(product.disjointPaths()).as("the product walks disjoint paths").isGreaterThan(1);
        List<Outcome> disjoint = run(product);
        List<Outcome> plain = BASELINE ? run(product.withDisjointPaths(1)) : List.of();
        for (List<Outcome> outcomes : List.of(plain, disjoint)) {
            for (Outcome o : outcomes) {
                System.out.printf("DHT hostile simulation (%d nodes, %.0f%% hostile, k=%d, alpha=%d, %d path%s): %d/%d honest"
                                + " records found (%.1f%%); hops median %d p99 %d; RPCs per lookup median %d p99 %d%n",
                        NODES, o.hostileShare() * 100, product.k(), product.alpha(), o.paths(), o.paths() == 1 ? "" : "s",
                        o.found(), o.trials(), o.share() * 100, pct(o.hops(), 50), pct(o.hops(), 99), pct(o.rpcs(), 50),
                        pct(o.rpcs(), 99));
            }
        }
        assertThat(disjoint.get(0).share()).as("found with 20%% hostile nodes").isGreaterThanOrEqualTo(0.95);
        assertThat(disjoint.get(1).share()).as("found with 30%% hostile nodes").isGreaterThanOrEqualTo(0.90);
    }

    /** Builds a network with {@code config}, then measures lookups with 20% and then 30% of it hostile. */
    private static List<Outcome> run(KademliaConfig config) {
        InMemoryNetwork net = new InMemoryNetwork(config);
        DhtNetworkSuite.Member first = net.add(List.of());
        for (int i = 1; i < NODES; i++) {
            net.add(List.of(first.address()));
        }
        List<DhtNetworkSuite.Member> members = new ArrayList<>(net.members());
        Collections.shuffle(members, new Random(20));
        Set<DhtNetworkSuite.Member> hostile = new HashSet<>();
        List<Outcome> outcomes = new ArrayList<>();
        Random r = new Random(30);
        for (double share : new double[] {0.2, 0.3}) {
            while (hostile.size() < share * NODES) {
                DhtNetworkSuite.Member m = members.get(hostile.size());
                hostile.add(m);
                net.turnHostile(m);
            }
            List<DhtNetworkSuite.Member> honest = members.stream().filter(m -> !hostile.contains(m)).toList();
            int found = 0;
            List<Integer> hops = new ArrayList<>();
            List<Integer> rpcs = new ArrayList<>();
            for (int t = 0; t < TRIALS; t++) {
                var publisher = (InMemoryNetwork.Keyed) honest.get(r.nextInt(honest.size()));
                DhtNetworkSuite.Member reader = honest.get(r.nextInt(honest.size()));
                ContentId key = ContentId.random();
                DhtRecord rec = DhtRecord.sign(publisher.key(), key, new DhtRecord.Value(("v" + t).getBytes()),
                        System.currentTimeMillis(), Duration.ofHours(1));
                publisher.kademlia().publish(rec).block(Duration.ofSeconds(60));
                Lookup.Result res = reader.kademlia().lookupValue(key, Optional.of(RecordKind.VALUE), true)
                        .block(Duration.ofSeconds(60));
                if (res.records().contains(rec)) {
                    found++;
                }
                hops.add(res.hops());
                rpcs.add(res.rpcs());
            }
            outcomes.add(new Outcome(config.disjointPaths(), share, found, TRIALS, hops, rpcs));
        }
        net.close();
        return outcomes;
    }

    @Test
    void sybilsOnOneSlash24_fillAtMostTheDiversityCapOfAnyTable() {
        InMemoryNetwork net = new InMemoryNetwork(KademliaConfig.defaults());
        DhtNetworkSuite.Member first = net.add(List.of());
        List<DhtNetworkSuite.Member> honest = new ArrayList<>(List.of(first));
        for (int i = 1; i < 300; i++) {
            honest.add(net.add(List.of(first.address())));
        }
        // The attacker's ids join through honest nodes all over the network, then look up every
        // honest id so that each honest node hears from them.
        Random r = new Random(24);
        List<DhtNetworkSuite.Member> sybils = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            HostPort via = honest.get(r.nextInt(honest.size())).address();
            sybils.add(net.add(List.of(via), "203.0.113." + (i % 250 + 1)));
        }
        for (DhtNetworkSuite.Member s : sybils) {
            for (int i = 0; i < 5; i++) {
                s.kademlia().lookupNode(honest.get(r.nextInt(honest.size())).kademlia().id()).block(Duration.ofSeconds(60));
            }
        }
        RoutingTable.Diversity cap = RoutingTable.Diversity.DEFAULT;
        int worstTable = 0;
        int worstBucket = 0;
        int tablesWithSybils = 0;
        for (DhtNetworkSuite.Member h : honest) {
            RoutingTable table = h.kademlia().table();
            List<Contact> fromSybilNet = table.entries().stream().map(RoutingTable.Entry::contact)
                    .filter(c -> c.host().startsWith("203.0.113.")).toList();
            Map<Integer, Long> perBucket = fromSybilNet.stream()
                    .collect(Collectors.groupingBy(c -> table.self().bucketIndex(c.id()), Collectors.counting()));
            worstTable = Math.max(worstTable, fromSybilNet.size());
            worstBucket = Math.max(worstBucket, perBucket.values().stream().mapToInt(Long::intValue).max().orElse(0));
            tablesWithSybils += fromSybilNet.isEmpty() ? 0 : 1;
        }
        System.out.printf("DHT Sybil simulation (300 honest nodes, 300 Sybil ids on 203.0.113.0/24): %d honest tables hold"
                + " some; at most %d in one table (cap %d), %d in one bucket (cap %d)%n",
                tablesWithSybils, worstTable, cap.perTable(), worstBucket, cap.perBucket());
        assertThat(tablesWithSybils).as("the Sybils did reach the honest tables").isGreaterThan(honest.size() / 2);
        assertThat(worstTable).isLessThanOrEqualTo(cap.perTable());
        assertThat(worstBucket).isLessThanOrEqualTo(cap.perBucket());
        net.close();
    }

    private static int pct(List<Integer> values, int p) {
        List<Integer> s = new ArrayList<>(values);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }
}
